using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Access;

/// <summary>The <c>keys</c> command of the published API host, run against the keyed host's database.</summary>
[Collection(KeyedApiHostGroup.Name)]
public sealed class KeysCommandTests(KeyedApiHost api)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private static string PublishedApi => Path.Combine(RepositoryRoot.Path, "artifacts", "publish", "api", "JobQueue.Api.dll");

    private Task<(int ExitCode, string StandardOutput, string AllOutput)> RunAsync(params string[] args)
    {
        Assert.True(File.Exists(PublishedApi), $"{PublishedApi} is missing. Run scripts/publish first (scripts/test does).");
        return ServiceProcess.RunAsync("dotnet",
            [PublishedApi, "keys", .. args, "--ConnectionStrings:JobQueue", api.Database.ConnectionString], CommandTimeout);
    }

    [Fact]
    public async Task Created_key_works_until_revoked()
    {
        var created = await RunAsync("create", "--name", "from-command", "--scopes", "read,enqueue");
        Assert.True(created.ExitCode == 0, created.AllOutput);
        var key = created.StandardOutput.Trim();
        var id = key.Split('_')[1];

        var read = await api.SendAsync(HttpMethod.Get, "/v1/queues", key);
        var admin = await api.SendAsync(HttpMethod.Get, "/v1/keys", key);
        var list = await RunAsync("list");
        var revoked = await RunAsync("revoke", id);
        var afterRevoke = await api.SendAsync(HttpMethod.Get, "/v1/queues", key);
        var audit = await api.SendAsync(HttpMethod.Get, "/v1/audit?page_size=500", api.AdminKey);

        Assert.Matches("^jq_[a-z2-7]{12}_[a-z2-7]{52}$", key);
        Assert.Equal(200, read.Status);
        Assert.Equal(403, admin.Status);
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(id, list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("from-command", list.StandardOutput, StringComparison.Ordinal);
        Assert.True(revoked.ExitCode == 0, revoked.AllOutput);
        Assert.Equal(401, afterRevoke.Status);
        Assert.Contains($"\"action\":\"keys create\",\"target\":\"key={id}\"", audit.Body, StringComparison.Ordinal);
        Assert.Contains($"\"action\":\"keys revoke\",\"target\":\"key={id}\"", audit.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_scope_is_rejected()
    {
        var result = await RunAsync("create", "--name", "bad", "--scopes", "read,root");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("scopes may contain only", result.AllOutput, StringComparison.Ordinal);
        Assert.Equal("", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task Revoking_unknown_key_fails()
    {
        var result = await RunAsync("revoke", "aaaaaaaaaaaa");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("No API key has id aaaaaaaaaaaa", result.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_arguments_print_usage()
    {
        var result = await ServiceProcess.RunAsync("dotnet", [PublishedApi, "keys", "create", "--name", "x"], CommandTimeout);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Usage:", result.AllOutput, StringComparison.Ordinal);
    }
}
