using System.Net;
using System.Net.Sockets;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Telemetry;

/// <summary>
/// A published host whose listening address is taken exits with code 1 and names the address
/// rather than crashing with an unhandled exception. A worker exits before its pools start.
/// </summary>
public sealed class PortInUseTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Api_exits_on_taken_port()
    {
        var (url, result) = await RunOnTakenPortAsync("api", "JobQueue.Api.dll", "--urls");

        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}\n{result.AllOutput}");
        Assert.Contains($"{url}: address already in use. Another process is listening there", result.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("BackgroundService has thrown", result.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_exits_on_taken_health_port()
    {
        var (url, result) = await RunOnTakenPortAsync("worker", "JobQueue.Worker.dll", "--Worker:HealthUrls", "--Worker:Queues", "port_in_use:1");

        Assert.True(result.ExitCode == 1, $"exit code {result.ExitCode}\n{result.AllOutput}");
        Assert.Contains($"{url}: address already in use. Another process is listening there", result.AllOutput, StringComparison.Ordinal);
        Assert.Contains("Worker:HealthUrls", result.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Pool port_in_use:1 started", result.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.AllOutput, StringComparison.Ordinal);
    }

    /// <summary>
    /// Holds a loopback port, then runs the published host with <paramref name="urlOption"/> set
    /// to that port's URL and waits for it to exit.
    /// </summary>
    private async Task<(string Url, (int ExitCode, string StandardOutput, string AllOutput) Result)> RunOnTakenPortAsync(
        string host, string dll, string urlOption, params string[] extraArguments)
    {
        var path = Path.Combine(RepositoryRoot.Path, "artifacts", "publish", host, dll);
        Assert.True(File.Exists(path), $"{path} is missing. Run scripts/publish first (scripts/test does).");
        using var holder = new TcpListener(IPAddress.Loopback, 0);
        holder.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)holder.LocalEndpoint).Port}";

        var result = await ServiceProcess.RunAsync("dotnet",
            [path, urlOption, url, .. extraArguments, "--ConnectionStrings:JobQueue", database.ConnectionString],
            RunTimeout);
        return (url, result);
    }
}
