namespace JobQueue.Tests.Clients;

/// <summary>
/// Generates the TypeScript types from openapi.yaml, type-checks the client in clients/typescript,
/// and runs its tests against the published API and worker. A spec change that breaks the
/// generated types fails the type check. Needs <c>npm ci</c> in clients/typescript first, which
/// scripts/test runs.
/// </summary>
public sealed class TypeScriptClientTests(PublishedServices services) : IClassFixture<PublishedServices>
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(120);

    private static string ClientFolder => Path.Combine(Infrastructure.RepositoryRoot.Path, "clients", "typescript");

    [Fact]
    public async Task TypeScript_client_passes_against_published_api()
    {
        Assert.True(Directory.Exists(Path.Combine(ClientFolder, "node_modules")),
            $"{ClientFolder}/node_modules is missing. Run 'npm ci' in clients/typescript first (scripts/test does).");

        var environment = new Dictionary<string, string>
        {
            ["JOBQUEUE_API_URL"] = services.ApiUrl,
            ["NO_COLOR"] = "1",
        };
        foreach (var script in new[] { "generate", "typecheck", "test" })
        {
            var (exitCode, output) = await NpmCommand.RunAsync(ClientFolder, ["run", script], environment, StepTimeout);
            Assert.True(exitCode == 0,
                $"'npm run {script}' in clients/typescript exited with {exitCode}:\n{output}\n{services.Diagnostics()}");
        }
    }
}
