using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Alba;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace JobQueue.Tests.Telemetry;

/// <summary>
/// The API host in async mode, so one process enqueues and runs jobs, with every span exported
/// to a list. Spans of other hosts in the test process reach the list too, because activity
/// sources are process-wide, so each test picks its spans by its own queue name.
/// </summary>
public sealed class TracingTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private readonly List<Activity> _spans = [];
    private readonly string _queue = "traced_" + Guid.NewGuid().ToString("N")[..8];
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
            builder.UseSetting("Telemetry:Tracing", "on");
            builder.UseSetting("Api:ExecutionMode", "async");
            builder.UseSetting("Worker:Queues", _queue + ":2");
            builder.UseSetting("Worker:PollInterval", "00:00:00.200");
            builder.UseSetting("Worker:SchedulerInterval", "00:00:00.100");
            builder.UseSetting("Worker:RetryBaseDelay", "00:00:00.050");
            builder.UseSetting("Worker:RetryMaxDelay", "00:00:00.100");
            builder.UseSetting("Webhooks:AllowHttp", "true");
            builder.UseSetting("Webhooks:AllowedNetworks:0", "127.0.0.0/8");
            builder.UseSetting("Webhooks:Routes:0:Kind", "hook.traced");
            builder.UseSetting("Webhooks:Routes:0:Url", _receiver.Url("hook.traced"));
            builder.UseSetting("Webhooks:Routes:0:Secret", WebhookSigner.CreateSecret());
            builder.UseEnvironment("Development");
            builder.ConfigureServices(services =>
                services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(_spans)));
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _receiver.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task First_attempt_is_child_of_send()
    {
        var job = await EnqueueAsync("noop", maxAttempts: 1);
        Assert.Equal(JobState.Completed, (await _database.Jobs.WaitForFinalAsync(job.Id)).State);

        var send = await WaitForSpanAsync(span => span.DisplayName == $"send {_queue}" && MessageId(span) == Id(job));
        var process = await WaitForSpanAsync(span => span.DisplayName == $"process {_queue}" && MessageId(span) == Id(job));

        Assert.Equal(ActivityKind.Producer, send.Kind);
        Assert.Equal("jobqueue", send.GetTagItem("messaging.system"));
        Assert.Equal("send", send.GetTagItem("messaging.operation.type"));
        Assert.Equal("send", send.GetTagItem("messaging.operation.name"));
        Assert.Equal(_queue, send.GetTagItem("messaging.destination.name"));

        Assert.Equal(ActivityKind.Consumer, process.Kind);
        Assert.Equal("jobqueue", process.GetTagItem("messaging.system"));
        Assert.Equal("process", process.GetTagItem("messaging.operation.type"));
        Assert.Equal(_queue, process.GetTagItem("messaging.destination.name"));
        Assert.Equal("noop", process.GetTagItem("jobqueue.job.kind"));
        Assert.Equal(1, process.GetTagItem("jobqueue.job.attempt"));
        Assert.Equal("completed", process.GetTagItem("jobqueue.job.outcome"));
        Assert.Equal(send.TraceId, process.TraceId);
        Assert.Equal(send.SpanId, process.ParentSpanId);
        Assert.Empty(process.Links);
    }

    [Fact]
    public async Task Retry_links_to_send()
    {
        var job = await EnqueueAsync("fail", maxAttempts: 2);
        Assert.Equal(JobState.Discarded, (await _database.Jobs.WaitForFinalAsync(job.Id)).State);

        var send = await WaitForSpanAsync(span => span.DisplayName == $"send {_queue}" && MessageId(span) == Id(job));
        var second = await WaitForSpanAsync(span => span.DisplayName == $"process {_queue}" && MessageId(span) == Id(job)
            && Equals(span.GetTagItem("jobqueue.job.attempt"), 2));
        var first = await WaitForSpanAsync(span => span.DisplayName == $"process {_queue}" && MessageId(span) == Id(job)
            && Equals(span.GetTagItem("jobqueue.job.attempt"), 1));

        Assert.Equal(send.SpanId, first.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, first.Status);
        Assert.Equal("exception", first.GetTagItem("error.type"));
        Assert.Equal("retryable", first.GetTagItem("jobqueue.job.outcome"));

        // The retry starts a trace of its own and links to the enqueue instead.
        Assert.NotEqual(send.TraceId, second.TraceId);
        Assert.Equal(default, second.ParentSpanId);
        var link = Assert.Single(second.Links);
        Assert.Equal(send.TraceId, link.Context.TraceId);
        Assert.Equal(send.SpanId, link.Context.SpanId);
        Assert.Equal("discarded", second.GetTagItem("jobqueue.job.outcome"));
    }

    [Fact]
    public async Task Webhook_delivery_is_child_of_process()
    {
        var job = await EnqueueAsync("hook.traced", maxAttempts: 1);
        Assert.Equal(JobState.Completed, (await _database.Jobs.WaitForFinalAsync(job.Id)).State);

        var process = await WaitForSpanAsync(span => span.DisplayName == $"process {_queue}" && MessageId(span) == Id(job));
        var delivery = await WaitForSpanAsync(span => span.DisplayName == "send webhook hook.traced"
            && (string?)span.GetTagItem("messaging.message.id") == $"job_{job.Id}");
        var received = Assert.Single(_receiver.Deliveries, d => d.Body.Contains($"\"id\":{job.Id},", StringComparison.Ordinal));

        Assert.Equal(process.TraceId, delivery.TraceId);
        Assert.Equal(process.SpanId, delivery.ParentSpanId);
        Assert.Equal(delivery.Id, received.Headers["traceparent"]);
    }

    [Fact]
    public async Task Batch_send_names_its_count()
    {
        var result = await _host.Scenario(s =>
        {
            s.Post.Json(new EnqueueBatchRequest
            {
                Jobs = [new EnqueueJobRequest { Kind = "noop", Queue = _queue }, new EnqueueJobRequest { Kind = "noop", Queue = _queue }],
            }).ToUrl("/v1/jobs/batch");
            s.StatusCodeShouldBe(201);
        });
        var jobs = result.ReadAsJson<EnqueueBatchResponse>()!.Jobs;
        foreach (var job in jobs)
        {
            await _database.Jobs.WaitForFinalAsync(job.Id);
        }

        var send = await WaitForSpanAsync(span => span.DisplayName == $"send {_queue}"
            && Equals(span.GetTagItem("messaging.batch.message_count"), 2));
        foreach (var job in jobs)
        {
            var process = await WaitForSpanAsync(span => span.DisplayName == $"process {_queue}" && MessageId(span) == Id(job));
            Assert.Equal(send.SpanId, process.ParentSpanId);
        }
    }

    private async Task<Job> EnqueueAsync(string kind, int maxAttempts)
    {
        var result = await _host.Scenario(s =>
        {
            s.Post.Json(new EnqueueJobRequest { Kind = kind, Queue = _queue, MaxAttempts = maxAttempts, Args = JsonDocument.Parse("{}").RootElement })
                .ToUrl("/v1/jobs");
            s.StatusCodeShouldBe(201);
        });
        return result.ReadAsJson<Job>()!;
    }

    private static string Id(Job job) => job.Id.ToString(CultureInfo.InvariantCulture);

    private static string? MessageId(Activity span) => span.GetTagItem("messaging.message.id") as string;

    // Spans are exported when they end, which for a process span is after the outcome is stored,
    // so a test that saw the job's final state may still have to wait a moment for the span.
    private async Task<Activity> WaitForSpanAsync(Func<Activity, bool> match)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            lock (_spans)
            {
                var found = _spans.Where(match).ToList();
                if (found.Count > 0)
                {
                    return Assert.Single(found);
                }
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                List<string> names;
                lock (_spans)
                {
                    names = _spans.Select(s => s.DisplayName).Distinct().ToList();
                }

                throw new TimeoutException($"No matching span within 10 s; spans seen: {string.Join(", ", names)}");
            }

            await Task.Delay(50);
        }
    }
}
