using System.Text.Json;
using Alba;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace JobQueue.Tests.Telemetry;

/// <summary>Readiness compares the applied migrations with the build's, over a database of its own.</summary>
public sealed class SchemaReadinessTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private IAlbaHost _host = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", _database.ConnectionString);
            builder.UseSetting("Api:Auth:Mode", "none");
            builder.UseSetting("Database:MigrateOnStartup", "false");
            builder.UseEnvironment("Development");
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Missing_or_newer_migrations_decide_readiness()
    {
        var latest = JobQueue.Storage.Migrator.LatestVersion;
        await ExecuteAsync($"DELETE FROM jobqueue.schema_migrations WHERE version = {latest}");

        var missing = await _host.Scenario(s =>
        {
            s.Get.Url("/healthz/ready");
            s.StatusCodeShouldBe(503);
        });
        var problem = await missing.ReadAsJsonAsync<JsonElement>();
        Assert.Contains($"lacks migrations {latest}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        // A newer build applied a migration this build does not know: this build keeps serving.
        await ExecuteAsync($"INSERT INTO jobqueue.schema_migrations (version, name) VALUES ({latest}, 'restored'), (9999, 'from_newer_build')");
        var newer = await _host.Scenario(s =>
        {
            s.Get.Url("/healthz/ready");
            s.StatusCodeShouldBeOk();
        });
        var body = await newer.ReadAsJsonAsync<JsonElement>();
        Assert.Equal(9999, body.GetProperty("schema_version").GetInt32());
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
