using System.Globalization;
using JobQueue.Engine.Webhooks;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Composition;

/// <summary>
/// Two published API processes and two published worker processes over one database, with a
/// webhook receiver on loopback for batch callback URLs. <c>scripts/test</c> publishes the hosts.
/// </summary>
public sealed class CompositionServices : IAsyncLifetime
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ServiceProcess> _processes = [];

    public TestDatabase Database { get; } = new();

    public WebhookReceiver Receiver { get; private set; } = null!;

    /// <summary>Signing secret of batch callback deliveries.</summary>
    public string CallbackSecret { get; } = WebhookSigner.CreateSecret();

    /// <summary>Base URLs of the two API processes, without a trailing slash.</summary>
    public IReadOnlyList<string> ApiUrls { get; private set; } = [];

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

        await Database.InitializeAsync();
        Receiver = await WebhookReceiver.StartAsync();
        var common = new Dictionary<string, string?>
        {
            ["ConnectionStrings__JobQueue"] = Database.ConnectionString,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        for (var i = 0; i < 2; i++)
        {
            var worker = new Dictionary<string, string?>(common)
            {
                ["Worker__Queues"] = "*:8",
                ["Worker__PollInterval"] = "00:00:00.200",
                ["Worker__SchedulerInterval"] = "00:00:00.100",
                ["Worker__RetryBaseDelay"] = "00:00:00.100",
                ["Worker__RetryMaxDelay"] = "00:00:00.500",
                ["Webhooks__AllowHttp"] = "true",
                ["Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
                ["Webhooks__BatchCallbacks__Secret"] = CallbackSecret,
            };
            _processes.Add(ServiceProcess.Start("dotnet", [Published("worker")], worker));
        }

        var urls = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var url = "http://127.0.0.1:" + ServiceProcess.FreePort().ToString(CultureInfo.InvariantCulture);
            var api = new Dictionary<string, string?>(common)
            {
                ["Api__Auth__Mode"] = "none",
                ["Webhooks__AllowHttp"] = "true",
                ["Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
            };
            _processes.Add(ServiceProcess.Start("dotnet", [Published("api"), "--urls", url], api));
            urls.Add(url);
        }

        ApiUrls = urls;
        foreach (var url in urls)
        {
            await WaitUntilReadyAsync(url);
        }
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        if (Receiver is not null)
        {
            await Receiver.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    /// <summary>A client of the API process at index <paramref name="api"/>, 0 or 1.</summary>
    public HttpClient CreateClient(int api = 0) =>
        new() { BaseAddress = new Uri(ApiUrls[api]), Timeout = TimeSpan.FromSeconds(90) };

    /// <summary>Output of every process so far, for failure messages.</summary>
    public string Diagnostics() => string.Join("\n", _processes.Select(p => $"--- process {p.Id} ---\n{p.Output}"));

    private static string Published(string host) =>
        Path.Combine(RepositoryRoot.Path, "artifacts", "publish", host, $"JobQueue.{char.ToUpperInvariant(host[0])}{host[1..]}.dll");

    private async Task WaitUntilReadyAsync(string url)
    {
        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTimeOffset.UtcNow + ReadyTimeout;
        while (DateTimeOffset.UtcNow < deadline && !_processes.Any(p => p.HasExited))
        {
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

        throw new InvalidOperationException($"The API at {url} did not become ready.\n{Diagnostics()}");
    }
}
