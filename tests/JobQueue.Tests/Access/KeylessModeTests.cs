using System.Globalization;
using JobQueue.Api.Access;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace JobQueue.Tests.Access;

/// <summary>The keyless mode (<c>Api:Auth:Mode=none</c>) of the published API host, which is allowed on loopback only.</summary>
public sealed class KeylessModeTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private static string PublishedApi => Path.Combine(RepositoryRoot.Path, "artifacts", "publish", "api", "JobQueue.Api.dll");

    [Theory]
    [InlineData("http://0.0.0.0:{0}")]
    [InlineData("http://*:{0}")]
    [InlineData("http://api.example:{0}")]
    public async Task Keyless_non_loopback_url_is_rejected(string urlFormat)
    {
        Assert.True(File.Exists(PublishedApi), $"{PublishedApi} is missing. Run scripts/publish first (scripts/test does).");
        var url = string.Format(CultureInfo.InvariantCulture, urlFormat, ServiceProcess.FreePort());

        var result = await ServiceProcess.RunAsync("dotnet",
            [PublishedApi, "--urls", url, "--Api:Auth:Mode", "none", "--ConnectionStrings:JobQueue", database.ConnectionString],
            StartTimeout);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("which is not loopback", result.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Now listening on", result.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keyless_loopback_serves_and_warns()
    {
        var url = $"http://127.0.0.1:{ServiceProcess.FreePort()}";
        await using var api = ServiceProcess.Start("dotnet", [PublishedApi, "--urls", url],
            new Dictionary<string, string?>
            {
                ["ConnectionStrings__JobQueue"] = database.ConnectionString,
                ["Api__Auth__Mode"] = "none",
            });
        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(2) };

        var status = 0;
        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        while (status != 200 && DateTimeOffset.UtcNow < deadline && !api.HasExited)
        {
            try
            {
                using var response = await client.GetAsync("/v1/queues");
                status = (int)response.StatusCode;
            }
            catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or slow to respond while it starts.
                await Task.Delay(200);
            }
        }

        // The console logger writes from a queue of its own, so the line may arrive a moment later.
        const string Warning = "accepts requests without API keys";
        while (!api.Output.Contains(Warning, StringComparison.Ordinal) && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(status == 200, $"GET /v1/queues without a key returned {status}.\n{api.Output}");
        Assert.Contains(Warning, api.Output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:8080", true)]
    [InlineData("https://127.8.9.10:443", true)]
    [InlineData("http://unix:/tmp/jobqueue.sock", true)]
    [InlineData("http://0.0.0.0:8080", false)]
    [InlineData("http://[::]:8080", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://10.0.0.5:8080", false)]
    [InlineData("http://myhost:8080", false)]
    [InlineData("not a url", false)]
    public void Loopback_urls_are_recognised(string url, bool loopback)
    {
        Assert.Equal(loopback, KeylessModeGuard.IsLoopbackUrl(url));
    }

    [Fact]
    public void Configured_urls_include_ports_and_kestrel_endpoints()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:1;http://localhost:2",
            ["http_ports"] = "8080",
            ["Kestrel:Endpoints:Main:Url"] = "http://10.1.2.3:9",
        }).Build();

        var urls = KeylessModeGuard.ConfiguredUrls(configuration);

        Assert.Equal(["http://127.0.0.1:1", "http://localhost:2", "http://*:8080", "http://10.1.2.3:9"], urls);
    }
}
