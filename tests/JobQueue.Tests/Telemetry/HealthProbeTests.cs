using System.Net;
using Alba;
using JobQueue.Tests.Faults;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace JobQueue.Tests.Telemetry;

/// <summary>
/// Stops and starts a PostgreSQL cluster of this class's own under the API host and a published
/// worker, and watches their probes follow. It runs with the fault tests, one at a time.
/// </summary>
[Collection(FaultGroup.Name)]
public sealed class HealthProbeTests(FaultCluster cluster) : IClassFixture<FaultCluster>
{
    private static readonly TimeSpan FlipTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Api_readiness_follows_database()
    {
        await using var host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", cluster.ConnectionString);
            builder.UseSetting("Api:Auth:Mode", "none");
            builder.UseEnvironment("Development");
        });
        using var client = host.Server.CreateClient();

        Assert.Equal(HttpStatusCode.OK, await WaitForStatusAsync(client, "/healthz/ready", HttpStatusCode.OK));

        await cluster.StopServerAsync();
        try
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable,
                await WaitForStatusAsync(client, "/healthz/ready", HttpStatusCode.ServiceUnavailable));
            using var live = await client.GetAsync(new Uri("/healthz/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            using var metrics = await client.GetAsync(new Uri("/metrics", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        }
        finally
        {
            await cluster.StartServerAsync();
        }

        Assert.Equal(HttpStatusCode.OK, await WaitForStatusAsync(client, "/healthz/ready", HttpStatusCode.OK));
    }

    [Fact]
    public async Task Worker_readiness_follows_database()
    {
        var worker = Path.Combine(RepositoryRoot.Path, "artifacts", "publish", "worker", "JobQueue.Worker.dll");
        Assert.True(File.Exists(worker), $"{worker} is missing; scripts/test publishes the hosts before the tests.");
        var healthUrl = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        await using var process = ServiceProcess.Start("dotnet", [worker], new Dictionary<string, string?>
        {
            ["ConnectionStrings__JobQueue"] = cluster.ConnectionString,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Worker__HealthUrls"] = healthUrl,
            ["Worker__Queues"] = "probe_only:1",
            ["Worker__PollInterval"] = "00:00:00.200",
        });
        using var client = new HttpClient { BaseAddress = new Uri(healthUrl), Timeout = TimeSpan.FromSeconds(10) };

        Assert.True(await WaitForStatusAsync(client, "/healthz/ready", HttpStatusCode.OK) == HttpStatusCode.OK, process.Output);
        var scrape = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("jobqueue_claim_duration_seconds_count", scrape, StringComparison.Ordinal);
        Assert.Contains("jobqueue_pool=\"probe_only:1\"", scrape, StringComparison.Ordinal);

        await cluster.StopServerAsync();
        try
        {
            Assert.True(await WaitForStatusAsync(client, "/healthz/ready", HttpStatusCode.ServiceUnavailable)
                == HttpStatusCode.ServiceUnavailable, process.Output);
            using var live = await client.GetAsync(new Uri("/healthz/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
        finally
        {
            await cluster.StartServerAsync();
        }

        // The worker reopens its LISTEN connection with backoff, and only then is it ready again.
        Assert.True(await WaitForStatusAsync(client, "/healthz/ready", HttpStatusCode.OK) == HttpStatusCode.OK, process.Output);
        Assert.False(process.HasExited, process.Output);
    }

    // Polls until the path returns the status, for at most FlipTimeout; returns the last status seen.
    private static async Task<HttpStatusCode?> WaitForStatusAsync(HttpClient client, string path, HttpStatusCode expected)
    {
        var deadline = DateTimeOffset.UtcNow + FlipTimeout;
        HttpStatusCode? last = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
                last = response.StatusCode;
                if (last == expected)
                {
                    return last;
                }
            }
            catch (HttpRequestException)
            {
                // The worker's health server is not listening yet.
            }
            catch (TaskCanceledException)
            {
                // A probe slower than the client's timeout counts as not yet.
            }

            await Task.Delay(250);
        }

        return last;
    }
}
