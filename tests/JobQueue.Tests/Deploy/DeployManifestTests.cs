using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Deploy;

/// <summary>
/// Runs <c>deploy/check/check.mjs</c>, which validates the Kubernetes manifests against the
/// Kubernetes and KEDA schemas of the kubernetes-models npm packages and compose.yaml against the
/// Compose schema, offline. Broken copies of the files show that the check fails when it should.
/// Needs <c>npm ci</c> in deploy/check first, which scripts/test runs.
/// </summary>
public sealed class DeployManifestTests : IDisposable
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(60);

    private static string DeployFolder => Path.Combine(RepositoryRoot.Path, "deploy");

    private readonly string _copy = Path.Combine(Path.GetTempPath(), "jobqueue-deploy-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(_copy))
        {
            Directory.Delete(_copy, recursive: true);
        }
    }

    [Fact]
    public async Task Manifests_pass_the_check()
    {
        var (exitCode, output) = await CheckAsync(DeployFolder);

        Assert.True(exitCode == 0, output);
        Assert.Contains("Kubernetes objects and compose.yaml are valid", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("kubernetes/worker.yaml", "terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: 40",
        "terminationGracePeriodSeconds 40 must exceed")]
    [InlineData("kubernetes/api.yaml", "containerPort: 8080", "containerPort: \"8080\"", "containerPort must be integer")]
    [InlineData("kubernetes/api.yaml", "readinessProbe:", "startupProbe:", "has no HTTP readinessProbe")]
    [InlineData("kubernetes/worker.yaml", "preStop:", "postStart:", "has no preStop sleep")]
    [InlineData("kubernetes/keda.yaml", "type: postgresql", "type: cpu", "no postgresql trigger")]
    [InlineData("kubernetes/keda.yaml", "key: password", "key: passwd", "has no key passwd")]
    [InlineData("kubernetes/config.yaml", "name: jobqueue-config", "name: jobqueue-settings", "ConfigMap jobqueue-config is not defined")]
    [InlineData("compose.yaml", "stop_grace_period: 45s", "stop_grace_period: 30s", "stop_grace_period must exceed")]
    [InlineData("compose.yaml", "    restart: \"no\"", "    restarts: \"no\"", "must NOT have additional properties")]
    [InlineData("otel-collector.yaml", "exporters: [prometheus]", "exporters: [prom]", "uses exporter prom")]
    public async Task Broken_copy_fails_the_check(string file, string find, string replace, string expected)
    {
        CopyDeployFolder();
        var path = Path.Combine(_copy, file);
        var text = await File.ReadAllTextAsync(path);
        Assert.Contains(find, text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(path, text.Replace(find, replace, StringComparison.Ordinal));

        var (exitCode, output) = await CheckAsync(_copy);

        Assert.Equal(1, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    private void CopyDeployFolder()
    {
        Directory.CreateDirectory(Path.Combine(_copy, "kubernetes"));
        foreach (var file in Directory.GetFiles(Path.Combine(DeployFolder, "kubernetes"), "*.yaml"))
        {
            File.Copy(file, Path.Combine(_copy, "kubernetes", Path.GetFileName(file)));
        }

        File.Copy(Path.Combine(DeployFolder, "compose.yaml"), Path.Combine(_copy, "compose.yaml"));
        File.Copy(Path.Combine(DeployFolder, "otel-collector.yaml"), Path.Combine(_copy, "otel-collector.yaml"));
    }

    private static async Task<(int ExitCode, string Output)> CheckAsync(string folder)
    {
        Assert.True(Directory.Exists(Path.Combine(DeployFolder, "check", "node_modules")),
            "deploy/check/node_modules is missing. Run 'npm ci' in deploy/check first (scripts/test does).");
        var (exitCode, _, output) = await ServiceProcess.RunAsync(
            "node", [Path.Combine(DeployFolder, "check", "check.mjs"), folder], CheckTimeout);
        return (exitCode, output);
    }
}
