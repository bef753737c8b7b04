using System.Net.Http.Json;
using System.Text.Json;
using JobQueue.Engine.Webhooks;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.EndToEnd;

/// <summary>
/// Runs the published API and worker as separate processes against PostgreSQL, with the
/// example receiver as the webhook target, and drives them with the example producers in
/// Python and Node.js. <c>scripts/test</c> publishes the hosts before the tests run.
/// </summary>
public sealed class EndToEndTests : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private const string WebhookKind = "email.send";
    private static readonly TimeSpan ProducerTimeout = TimeSpan.FromSeconds(120);

    private readonly TestDatabase _database;
    private readonly string _secret = WebhookSigner.CreateSecret();
    private readonly string _recordFile = Path.Combine(Path.GetTempPath(), $"jobqueue-e2e-{Guid.NewGuid():N}.jsonl");
    private readonly List<ServiceProcess> _processes = [];
    private string _apiUrl = "";
    private string _workerHealthUrl = "";

    public EndToEndTests(TestDatabase database) => _database = database;

    private static string Published(string host) =>
        Path.Combine(RepositoryRoot.Path, "artifacts", "publish", host, $"JobQueue.{char.ToUpperInvariant(host[0])}{host[1..]}.dll");

    public async Task InitializeAsync()
    {
        foreach (var host in new[] { "api", "worker" })
        {
            if (!File.Exists(Published(host)))
            {
                throw new InvalidOperationException(
                    $"{Published(host)} is missing. Run the tests with scripts/test, which publishes both hosts first.");
            }
        }

        var receiverPort = ServiceProcess.FreePort();
        _processes.Add(ServiceProcess.Start("python3",
            ["examples/receiver/receiver.py", "--host", "127.0.0.1", "--port", receiverPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
             "--secret", _secret, "--record", _recordFile]));

        var common = new Dictionary<string, string?>
        {
            ["ConnectionStrings__JobQueue"] = _database.ConnectionString,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",

            // Keyless on 127.0.0.1, as scripts/run runs it.
            ["Api__Auth__Mode"] = "none",
        };
        var worker = new Dictionary<string, string?>(common)
        {
            ["Worker__Queues"] = "*:8",
            ["Worker__RetryBaseDelay"] = "00:00:00.100",
            ["Worker__RetryMaxDelay"] = "00:00:00.500",
            ["Worker__SchedulerInterval"] = "00:00:00.100",
            ["Webhooks__Routes__0__Kind"] = WebhookKind,
            ["Webhooks__Routes__0__Url"] = $"http://127.0.0.1:{receiverPort}/hooks/email",
            ["Webhooks__Routes__0__Secret"] = _secret,
            ["Webhooks__AllowHttp"] = "true",
            ["Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
            ["Worker__HealthUrls"] = _workerHealthUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}",
        };
        _processes.Add(ServiceProcess.Start("dotnet", [Published("worker")], worker));

        _apiUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        _processes.Add(ServiceProcess.Start("dotnet", [Published("api"), "--urls", _apiUrl], common));
        await WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        File.Delete(_recordFile);
    }

    [Fact]
    public async Task Producers_in_two_languages_run_jobs_in_handler_and_webhook()
    {
        var python = await RunProducerAsync("python3", "examples/python/producer.py",
            "--kind", "echo", "--count", "4", "--webhook-kind", WebhookKind);
        var node = await RunProducerAsync("node", "examples/node/producer.mjs",
            "--kind", "echo", "--count", "4", "--webhook-kind", WebhookKind);

        foreach (var summary in new[] { python, node })
        {
            Assert.Equal(6, summary.Ids.Count);
            Assert.All(summary.States.Values, state => Assert.Equal("completed", state));
        }

        using var client = new HttpClient { BaseAddress = new Uri(_apiUrl) };
        var webhookJobs = new List<long>();
        foreach (var id in python.Ids.Concat(node.Ids))
        {
            var job = await client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
            Assert.Equal("completed", job.GetProperty("state").GetString());
            var result = job.GetProperty("result");
            if (job.GetProperty("kind").GetString() == WebhookKind)
            {
                // The example receiver's answer is the job's result.
                Assert.True(result.GetProperty("received").GetBoolean());
                Assert.Equal(id, result.GetProperty("job_id").GetInt64());
                webhookJobs.Add(id);
            }
            else
            {
                // The echo handler ran in the worker and returned the job's args.
                Assert.Equal(job.GetProperty("args").GetRawText(), result.GetRawText());
            }
        }

        Assert.Equal(2, webhookJobs.Count);
        var records = (await File.ReadAllLinesAsync(_recordFile))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToList();
        Assert.Equal(webhookJobs.Order(), records.Select(r => r.GetProperty("job_id").GetInt64()).Order());
        Assert.All(records, r => Assert.True(r.GetProperty("signature_valid").GetBoolean()));
    }

    [Fact]
    public async Task Failing_job_retries_and_ends_discarded_with_errors()
    {
        var summary = await RunProducerAsync("python3", "examples/python/producer.py",
            "--kind", "fail", "--count", "0", "--max-attempts", "3");

        var id = Assert.Single(summary.Ids);
        Assert.Equal("discarded", summary.States[id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var client = new HttpClient { BaseAddress = new Uri(_apiUrl) };
        var job = await client.GetFromJsonAsync<JsonElement>($"/v1/jobs/{id}");
        Assert.Equal(3, job.GetProperty("attempt").GetInt32());
        var errors = job.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Equal("exception", e.GetProperty("reason").GetString()));
        Assert.NotEqual(JsonValueKind.Null, job.GetProperty("finished_at").ValueKind);
    }

    [Fact]
    public async Task Webhook_error_status_is_retried_with_valid_signatures()
    {
        var summary = await RunProducerAsync("node", "examples/node/producer.mjs",
            "--kind", "noop", "--count", "0", "--webhook-kind", WebhookKind, "--fail-status", "503", "--max-attempts", "2");

        var webhookId = summary.Ids[^1];
        Assert.Equal("discarded", summary.States[webhookId.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        var records = (await File.ReadAllLinesAsync(_recordFile))
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Where(r => r.GetProperty("job_id").GetInt64() == webhookId)
            .ToList();
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal(503, r.GetProperty("status").GetInt32()));
        Assert.All(records, r => Assert.True(r.GetProperty("signature_valid").GetBoolean()));
        Assert.Equal([1, 2], records.Select(r => r.GetProperty("attempt").GetInt32()));
    }

    [Fact]
    public async Task Worker_serves_health_probes()
    {
        using var client = new HttpClient { BaseAddress = new Uri(_workerHealthUrl) };

        using var live = await client.GetAsync("/healthz/live");
        var readyBody = "";
        for (var i = 0; i < 50; i++)
        {
            using var ready = await client.GetAsync("/healthz/ready");
            readyBody = await ready.Content.ReadAsStringAsync();
            if (ready.IsSuccessStatusCode)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.True(live.IsSuccessStatusCode, $"liveness returned {(int)live.StatusCode}");
        Assert.Equal("ready", JsonDocument.Parse(readyBody).RootElement.GetProperty("status").GetString());
    }

    private async Task<ProducerSummary> RunProducerAsync(string program, string script, params string[] options)
    {
        var (exitCode, stdout, output) = await ServiceProcess.RunAsync(program,
            [script, "--api", _apiUrl, "--wait", "--timeout", "90", .. options], ProducerTimeout);
        Assert.True(exitCode == 0, $"{script} exited with {exitCode}:\n{output}\n{Diagnostics()}");
        var lastLine = stdout.Trim().Split('\n')[^1];
        using var document = JsonDocument.Parse(lastLine);
        return new ProducerSummary(
            document.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToList(),
            document.RootElement.GetProperty("states").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!));
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = new Uri(_apiUrl), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (_processes.Any(p => p.HasExited))
            {
                break;
            }

            try
            {
                using var response = await client.GetAsync("/healthz/ready");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Still starting.
            }

            await Task.Delay(200);
        }

        throw new InvalidOperationException($"The API at {_apiUrl} did not become ready.\n{Diagnostics()}");
    }

    private string Diagnostics() => string.Join("\n", _processes.Select(p => $"--- process {p.Id} ---\n{p.Output}"));

    private sealed record ProducerSummary(IReadOnlyList<long> Ids, IReadOnlyDictionary<string, string> States);
}
