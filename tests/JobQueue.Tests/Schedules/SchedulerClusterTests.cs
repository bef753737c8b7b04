using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Schedules;

/// <summary>
/// Two worker hosts on the real clock share a schedule that fires every second: each slot gets
/// exactly one job, with no slot left out, and every job runs.
/// </summary>
public sealed class SchedulerClusterTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Two_workers_enqueue_each_second_once()
    {
        var store = new ScheduleStore(_database.DataSource);
        var workers = new List<IHost>
        {
            await WorkerHost.StartAsync(_database),
            await WorkerHost.StartAsync(_database),
        };
        try
        {
            var definition = new PutScheduleRequest { Cron = "* * * * * *", Job = new ScheduleJob { Kind = "noop" } };
            var row = ScheduleMapping.ToRow("every-second", definition, ScheduleMapping.WithDefaults(definition.Job, 20),
                ScheduleSource.Api, DateTimeOffset.UtcNow);
            Assert.NotNull(await store.UpsertFromApiAsync(row, CancellationToken.None));

            await Task.Delay(TimeSpan.FromSeconds(6));
            await store.SetEnabledAsync("every-second", false, _ => null, CancellationToken.None);

            // A pass that locked the row before the disable commits may still finish its slot.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            foreach (var run in await store.ListRunsAsync("every-second", CancellationToken.None))
            {
                var job = await _database.Jobs.WaitForFinalAsync(run.JobId!.Value);
                Assert.Equal(JobState.Completed, job.State);
            }
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.StopAsync();
                worker.Dispose();
            }
        }

        var runs = await store.ListRunsAsync("every-second", CancellationToken.None);
        Assert.InRange(runs.Count, 4, 8);
        Assert.All(runs, run => Assert.Equal("enqueued", run.Outcome));
        for (var i = 1; i < runs.Count; i++)
        {
            Assert.Equal(TimeSpan.FromSeconds(1), runs[i].SlotAt - runs[i - 1].SlotAt);
        }

        var jobIds = runs.Select(run => run.JobId!.Value).ToList();
        Assert.Equal(runs.Count, jobIds.Distinct().Count());
        Assert.Equal(runs.Count,
            await _database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE tags @> ARRAY['schedule:every-second']"));
        Assert.Equal(runs.Count, await _database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs"));
    }
}
