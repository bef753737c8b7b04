using JobQueue.Tests.Clients;

namespace JobQueue.Tests.Dashboard;

/// <summary>
/// Runs the dashboard's browser tests (tests/dashboard, Playwright driving Debian's headless
/// Chromium) against the published API and worker. They open the overview, filter jobs, retry a
/// failed job, bulk-cancel a filter, pause a queue and watch a new job appear live. Needs
/// <c>npm ci</c> in tests/dashboard and /usr/bin/chromium, which scripts/test installs.
/// </summary>
public sealed class DashboardBrowserTests(PublishedServices services) : IClassFixture<PublishedServices>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    private static string TestFolder => Path.Combine(Infrastructure.RepositoryRoot.Path, "tests", "dashboard");

    [Fact]
    public async Task Dashboard_passes_browser_tests_against_published_api()
    {
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        Assert.True(File.Exists(chromium), $"{chromium} is missing. Install Debian's chromium package (scripts/test does).");
        Assert.True(Directory.Exists(Path.Combine(TestFolder, "node_modules")),
            $"{TestFolder}/node_modules is missing. Run 'npm ci' in tests/dashboard first (scripts/test does).");

        var environment = new Dictionary<string, string>
        {
            ["JOBQUEUE_API_URL"] = services.ApiUrl,
            ["CHROMIUM_PATH"] = chromium,
            ["NO_COLOR"] = "1",
        };
        var (exitCode, output) = await NpmCommand.RunAsync(TestFolder, ["test"], environment, RunTimeout);

        Assert.True(exitCode == 0, $"'npm test' in tests/dashboard exited with {exitCode}:\n{output}\n{services.Diagnostics()}");
        Assert.Matches(@"ℹ pass [1-9][0-9]*", output);
        Assert.Contains("ℹ fail 0", output, StringComparison.Ordinal);
    }
}
