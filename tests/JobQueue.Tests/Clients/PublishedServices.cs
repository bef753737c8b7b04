using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Clients;

/// <summary>
/// The published API and worker as separate processes over a database of their own, started as
/// the end-to-end tests start them, for clients that need a real URL. <c>scripts/test</c>
/// publishes both hosts before the tests run.
/// </summary>
public sealed class PublishedServices : IAsyncLifetime
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ServiceProcess> _processes = [];

    public TestDatabase Database { get; } = new();

    /// <summary>Base URL of the API on 127.0.0.1, without a trailing slash.</summary>
    public string ApiUrl { get; private set; } = "";

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
        var common = new Dictionary<string, string?>
        {
            ["ConnectionStrings__JobQueue"] = Database.ConnectionString,
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
        };
        _processes.Add(ServiceProcess.Start("dotnet", [Published("worker")], worker));

        ApiUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        _processes.Add(ServiceProcess.Start("dotnet", [Published("api"), "--urls", ApiUrl], common));
        await WaitUntilReadyAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes)
        {
            await process.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    /// <summary>Output of every process so far, for failure messages.</summary>
    public string Diagnostics() => string.Join("\n", _processes.Select(p => $"--- process {p.Id} ---\n{p.Output}"));

    private static string Published(string host) =>
        Path.Combine(RepositoryRoot.Path, "artifacts", "publish", host, $"JobQueue.{char.ToUpperInvariant(host[0])}{host[1..]}.dll");

    private async Task WaitUntilReadyAsync()
    {
        using var client = new HttpClient { BaseAddress = new Uri(ApiUrl), Timeout = TimeSpan.FromSeconds(2) };
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

        throw new InvalidOperationException($"The API at {ApiUrl} did not become ready.\n{Diagnostics()}");
    }
}
