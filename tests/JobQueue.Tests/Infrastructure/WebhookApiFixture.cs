using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Alba;
using JobQueue.Engine.Webhooks;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobQueue.Tests.Infrastructure;

/// <summary>
/// The API host in async mode (so it runs a worker too) over a database of its own, with a
/// loopback webhook receiver, per-job URLs allowed, short intervals, and every log line captured.
/// </summary>
public class WebhookApiFixture : IAsyncLifetime
{
    public TestDatabase Database { get; } = new();

    public WebhookReceiver Receiver { get; private set; } = null!;

    public IAlbaHost Host { get; private set; } = null!;

    public LogCapture Logs { get; } = new();

    /// <summary>The secret that signs deliveries to per-job URLs and callbacks.</summary>
    public string JobUrlSecret { get; } = WebhookSigner.CreateSecret();

    /// <summary>Worker settings shared by the API's own worker and any extra worker a test starts.</summary>
    public Dictionary<string, string?> WorkerSettings => new()
    {
        ["Worker:PollInterval"] = "00:00:00.100",
        ["Worker:SchedulerInterval"] = "00:00:00.100",
        ["Worker:RetryBaseDelay"] = "00:00:00.050",
        ["Worker:RetryMaxDelay"] = "00:00:00.200",
        ["Webhooks:AllowHttp"] = "true",
        ["Webhooks:AllowedNetworks:0"] = "127.0.0.0/8",
        ["Webhooks:EndpointRefreshInterval"] = "00:00:00.100",
        ["Webhooks:JobUrls:Enabled"] = "true",
        ["Webhooks:JobUrls:Secret"] = JobUrlSecret,
    };

    /// <summary>The pools of the API host's own worker.</summary>
    protected virtual string Queues => "*:8";

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Receiver = await WebhookReceiver.StartAsync();
        Host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", Database.ConnectionString);
            builder.UseSetting("Api:Auth:Mode", "none");
            builder.UseSetting("Api:ExecutionMode", "async");
            builder.UseSetting("Worker:Queues", Queues);
            foreach (var (key, value) in WorkerSettings)
            {
                builder.UseSetting(key, value);
            }

            builder.UseEnvironment("Development");
            builder.ConfigureServices(services => services.AddLogging(logging =>
            {
                logging.AddProvider(Logs);
                logging.SetMinimumLevel(LogLevel.Trace);
            }));
        });
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Receiver.DisposeAsync();
        await Database.DisposeAsync();
    }

    /// <summary>Sends a request with an optional JSON body and returns the status and body.</summary>
    public async Task<(int Status, string Body, HttpResponseHeaders Headers)> SendAsync(HttpMethod method, string url, object? body = null)
    {
        using var client = Host.Server.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            var json = body as string ?? JsonSerializer.Serialize(body);
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers);
    }
}

/// <summary>The same host with a worker of two slots on the queue <c>limits</c> only.</summary>
public sealed class WebhookLimitFixture : WebhookApiFixture
{
    protected override string Queues => "limits:2";
}

/// <summary>Keeps every log line, with its state values and exception, for tests that look for leaked secrets.</summary>
public sealed class LogCapture : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(" ", pairs.Select(pair => $"{pair.Key}={pair.Value}"))
                : "";
            capture.Lines.Enqueue($"{category} {eventId.Id} {formatter(state, exception)} {values} {exception}");
        }
    }
}
