using Alba;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace JobQueue.Tests.Api;

/// <summary>The API host with <c>Api:ExecutionMode=async</c>, which runs a worker in the same process.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class AsyncModeTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private IAlbaHost _host = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", _database.ConnectionString);
            builder.UseSetting("Api:ExecutionMode", "async");
            builder.UseSetting("Worker:PollInterval", "00:00:00.200");
            builder.UseEnvironment("Development");
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task Api_process_runs_the_job_itself()
    {
        var result = await _host.Scenario(s =>
        {
            s.Post.Json(new EnqueueJobRequest { Kind = "echo", Args = System.Text.Json.JsonDocument.Parse("""{"n":7}""").RootElement })
                .ToUrl("/v1/jobs");
            s.StatusCodeShouldBe(201);
        });
        var job = result.ReadAsJson<Job>()!;

        var done = await _database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(7, done.Result!.Value.GetProperty("n").GetInt32());
    }
}
