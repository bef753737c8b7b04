using Alba;
using JobQueue.Api;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Npgsql;

namespace JobQueue.Tests.Api;

/// <summary>
/// A host whose connection string names a Unix socket folder that does not exist, so every
/// connection attempt fails at once without network traffic.
/// </summary>
public sealed class UnavailableDatabaseTests : IAsyncLifetime
{
    private IAlbaHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", "Host=/nonexistent/jobqueue-test;Username=postgres;Timeout=2");
            builder.UseSetting("Database:MigrateOnStartup", "false");
            builder.UseSetting("Api:Auth:Mode", "none");
        });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("/v1/jobs/1")]
    [InlineData("/v1/queues")]
    [InlineData("/healthz/ready")]
    public async Task Unreachable_database_gets_503_with_retry_after(string url)
    {
        var result = await _host.Scenario(s =>
        {
            s.Get.Url(url);
            s.StatusCodeShouldBe(503);
        });

        await AssertUnavailableAsync(result);
    }

    /// <summary>Asserts a 503 problem response of the unavailable type with a Retry-After header.</summary>
    internal static async Task AssertUnavailableAsync(IScenarioResult result)
    {
        Assert.Equal(503, result.Context.Response.StatusCode);
        Assert.Equal("application/problem+json", result.Context.Response.ContentType);
        Assert.True(result.Context.Response.Headers.ContainsKey("Retry-After"));
        var body = await result.ReadAsJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal(ProblemTypes.Unavailable, body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Live_does_not_need_database()
    {
        await _host.Scenario(s =>
        {
            s.Get.Url("/healthz/live");
            s.StatusCodeShouldBeOk();
        });
    }

    [Fact]
    public void Options_validator_names_each_bad_setting()
    {
        var result = new ApiOptionsValidator().Validate(null, new ApiOptions
        {
            DefaultMaxAttempts = 0,
            MaxPageSize = 10,
            DefaultPageSize = 11,
            MaxArgsBytes = 100,
            MaxRequestBodyBytes = 50,
        });

        Assert.True(result.Failed);
        var failures = result.Failures!.ToList();
        Assert.Contains(failures, message => message.StartsWith("Api:DefaultMaxAttempts", StringComparison.Ordinal));
        Assert.Contains(failures, message => message.StartsWith("Api:DefaultPageSize", StringComparison.Ordinal));
        Assert.Contains(failures, message => message.StartsWith("Api:MaxArgsBytes", StringComparison.Ordinal));
        Assert.Contains(failures, message => message.StartsWith("Api:MaxRequestBodyBytes", StringComparison.Ordinal));
    }
}

/// <summary>
/// A host whose connection string names a database that does not exist on the test server, as
/// after the database was dropped. PostgreSQL rejects each connection with 3D000.
/// </summary>
public sealed class MissingDatabaseTests : IAsyncLifetime
{
    private IAlbaHost _host = null!;

    public async Task InitializeAsync()
    {
        var missing = new NpgsqlConnectionStringBuilder(TestDatabase.ServerConnectionString()) { Database = "jobqueue_missing_" + Guid.NewGuid().ToString("N")[..12] };
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", missing.ConnectionString);
            builder.UseSetting("Database:MigrateOnStartup", "false");
            builder.UseSetting("Api:Auth:Mode", "none");
        });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Theory]
    [InlineData("GET", "/v1/jobs/1")]
    [InlineData("POST", "/v1/jobs")]
    public async Task Missing_database_gets_503(string method, string url)
    {
        var result = await _host.Scenario(s =>
        {
            if (method == "POST")
            {
                s.Post.Json(new { kind = "echo" }).ToUrl(url);
            }
            else
            {
                s.Get.Url(url);
            }

            s.StatusCodeShouldBe(503);
        });

        await UnavailableDatabaseTests.AssertUnavailableAsync(result);
    }
}
