using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Alba;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace JobQueue.Tests.Telemetry;

/// <summary>
/// The Prometheus scrape endpoint of the API host in async mode, which enqueues and runs jobs in
/// one process. Counters are process-wide, so the test reads only the series of its own queue.
/// </summary>
public sealed partial class MetricsTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private readonly string _queue = "metered_" + Guid.NewGuid().ToString("N")[..8];
    private WebhookReceiver _receiver = null!;
    private IAlbaHost _host = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _receiver = await WebhookReceiver.StartAsync();
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", _database.ConnectionString);
            builder.UseSetting("Api:Auth:Mode", "none");
            builder.UseSetting("Api:ExecutionMode", "async");
            builder.UseSetting("Worker:Queues", _queue + ":2");
            builder.UseSetting("Worker:PollInterval", "00:00:00.200");
            builder.UseSetting("Worker:SchedulerInterval", "00:00:00.100");
            builder.UseSetting("Worker:RetryBaseDelay", "00:00:00.050");
            builder.UseSetting("Worker:RetryMaxDelay", "00:00:00.100");
            builder.UseSetting("Telemetry:QueueMetricsInterval", "00:00:00.200");
            builder.UseSetting("Webhooks:AllowHttp", "true");
            builder.UseSetting("Webhooks:AllowedNetworks:0", "127.0.0.0/8");
            builder.UseSetting("Webhooks:Routes:0:Kind", "hook.metered");
            builder.UseSetting("Webhooks:Routes:0:Url", _receiver.Url("hook.metered"));
            builder.UseSetting("Webhooks:Routes:0:Secret", WebhookSigner.CreateSecret());
            builder.UseEnvironment("Development");
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _receiver.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Metrics_move_with_jobs()
    {
        var before = await ScrapeAsync();
        Assert.Equal(0, before.Sum("jobqueue_jobs_enqueued_total", Queue));

        var ids = new List<long>
        {
            await EnqueueAsync("noop", 1),
            await EnqueueAsync("noop", 1),
            await EnqueueAsync("fail", 2),
            await EnqueueAsync("hook.metered", 1),
        };
        await EnqueueAsync("noop", 1, delaySeconds: 3600);
        foreach (var id in ids)
        {
            await _database.Jobs.WaitForFinalAsync(id);
        }

        // A worker records an attempt's instruments after its outcome is stored, and the depth
        // gauge follows its refresh interval, so the scrape waits for all of them. A refresh can
        // fall while the failed job waits, available again, for its second attempt.
        var after = await ScrapeUntilAsync(s =>
            s.Sum("jobqueue_queue_depth", Queue, "jobqueue_job_state=\"scheduled\"") == 1
            && s.Sum("jobqueue_queue_depth", Queue, "jobqueue_job_state=\"available\"") == 0
            && s.Sum("messaging_process_duration_seconds_count", Queue) >= 5
            && s.Sum("jobqueue_job_queue_wait_seconds_count", Queue) >= 5
            && s.Sum("jobqueue_jobs_completed_total", Queue) + s.Sum("jobqueue_jobs_failed_total", Queue) >= 5);

        Assert.Equal(5, after.Sum("jobqueue_jobs_enqueued_total", Queue));
        Assert.Equal(5, after.Sum("jobqueue_jobs_started_total", Queue));
        Assert.Equal(3, after.Sum("jobqueue_jobs_completed_total", Queue));
        Assert.Equal(2, after.Sum("jobqueue_jobs_failed_total", Queue));
        Assert.Equal(1, after.Sum("jobqueue_jobs_retried_total", Queue));
        Assert.Equal(1, after.Sum("jobqueue_jobs_discarded_total", Queue));
        Assert.Equal(5, after.Sum("messaging_process_duration_seconds_count", Queue));
        Assert.Equal(3, after.Sum("messaging_process_duration_seconds_count", Queue, "jobqueue_job_outcome=\"completed\""));
        Assert.Equal(5, after.Sum("jobqueue_job_queue_wait_seconds_count", Queue));
        Assert.Equal(0, after.Sum("jobqueue_queue_depth", Queue, "jobqueue_job_state=\"available\""));
        Assert.True(after.Has("jobqueue_queue_latency_seconds", Queue), "The latency gauge lists the queue.");
        Assert.Equal(1, after.Sum("jobqueue_webhook_deliveries_total",
            "jobqueue_job_kind=\"hook.metered\"", "jobqueue_job_outcome=\"success\"", "http_response_status_class=\"2xx\""));
        Assert.Equal(1, after.Sum("jobqueue_webhook_duration_seconds_count", "jobqueue_job_kind=\"hook.metered\""));
        Assert.True(after.Sum("jobqueue_claim_duration_seconds_count", $"jobqueue_pool=\"{_queue}:2\"") >= 1,
            "Claims of the pool are timed.");
        Assert.True(after.Sum("jobqueue_claim_jobs_sum", $"jobqueue_pool=\"{_queue}:2\"") >= 4, "Claimed jobs are counted.");
        Assert.True(after.Names.Any(name => name.StartsWith("db_client_", StringComparison.Ordinal)),
            "Npgsql's metrics are listed: " + string.Join(", ", after.Names));
        Assert.Contains("http_server_request_duration_seconds_count", after.Names);
    }

    [Fact]
    public async Task Duplicate_enqueue_is_not_counted()
    {
        var statuses = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var result = await _host.Scenario(s =>
            {
                s.Post.Json(new EnqueueJobRequest
                {
                    Kind = "noop",
                    Queue = _queue,
                    DelaySeconds = 3600,
                    Unique = new UniqueSpec { Key = "counted-once" },
                }).ToUrl("/v1/jobs");
                s.IgnoreStatusCode();
            });
            statuses.Add(result.Context.Response.StatusCode);
        }

        var scrape = await ScrapeAsync();

        Assert.Equal([201, 200, 200], statuses);
        Assert.Equal(1, scrape.Sum("jobqueue_jobs_enqueued_total", Queue));
    }

    [Fact]
    public async Task Latency_grows_while_jobs_wait()
    {
        await _host.Scenario(s =>
        {
            s.Post.Url($"/v1/queues/{_queue}/pause");
            s.StatusCodeShouldBe(200);
        });
        try
        {
            await EnqueueAsync("noop", 1);
            var first = await ScrapeUntilAsync(s => s.Sum("jobqueue_queue_latency_seconds", Queue) > 0);
            await Task.Delay(1200);
            var later = await ScrapeUntilAsync(s =>
                s.Sum("jobqueue_queue_latency_seconds", Queue) >= first.Sum("jobqueue_queue_latency_seconds", Queue) + 1);

            Assert.Equal(1, later.Sum("jobqueue_queue_depth", Queue, "jobqueue_job_state=\"available\""));
        }
        finally
        {
            await _host.Scenario(s =>
            {
                s.Post.Url($"/v1/queues/{_queue}/resume");
                s.StatusCodeShouldBe(200);
            });
        }
    }

    private string Queue => $"messaging_destination_name=\"{_queue}\"";

    private async Task<long> EnqueueAsync(string kind, int maxAttempts, int? delaySeconds = null)
    {
        var result = await _host.Scenario(s =>
        {
            s.Post.Json(new EnqueueJobRequest
            {
                Kind = kind,
                Queue = _queue,
                MaxAttempts = maxAttempts,
                DelaySeconds = delaySeconds,
                Args = JsonDocument.Parse("{}").RootElement,
            }).ToUrl("/v1/jobs");
            s.StatusCodeShouldBe(201);
        });
        return result.ReadAsJson<Job>()!.Id;
    }

    private async Task<Scrape> ScrapeAsync()
    {
        var result = await _host.Scenario(s =>
        {
            s.Get.Url("/metrics");
            s.StatusCodeShouldBeOk();
        });
        return new Scrape(await result.ReadAsTextAsync());
    }

    private async Task<Scrape> ScrapeUntilAsync(Func<Scrape, bool> done)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(15);
        while (true)
        {
            var scrape = await ScrapeAsync();
            if (done(scrape))
            {
                return scrape;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException("The scrape did not reach the expected values within 15 s:\n" +
                    string.Join("\n", scrape.Lines.Where(line => line.Contains(_queue, StringComparison.Ordinal))));
            }

            await Task.Delay(250);
        }
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{.*\})?\s+(?<value>\S+)")]
    private static partial Regex Sample();

    /// <summary>One scrape in the Prometheus text format.</summary>
    private sealed class Scrape(string text)
    {
        public IReadOnlyList<string> Lines { get; } = text.Split('\n').Where(line => line.Length > 0 && line[0] != '#').ToList();

        public IReadOnlySet<string> Names => Lines.Select(line => Sample().Match(line).Groups["name"].Value).ToHashSet();

        /// <summary>Whether a sample of <paramref name="name"/> has every one of the labels.</summary>
        public bool Has(string name, params string[] labels) => Samples(name, labels).Any();

        /// <summary>The sum of the samples of <paramref name="name"/> that have every one of the labels.</summary>
        public double Sum(string name, params string[] labels) => Samples(name, labels).Sum();

        private IEnumerable<double> Samples(string name, string[] labels) => Lines
            .Select(line => Sample().Match(line))
            .Where(match => match.Success && match.Groups["name"].Value == name
                && labels.All(label => match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            .Select(match => double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture));
    }
}
