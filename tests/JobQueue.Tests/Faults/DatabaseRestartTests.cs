using System.Diagnostics;
using System.Globalization;
using JobQueue.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobQueue.Tests.Faults;

/// <summary>
/// Restarts PostgreSQL under running workers, cleanly and as after a crash. The server is a cluster of this class's own,
/// because a restart would break every other test class on the shared one.
/// </summary>
[Collection(FaultGroup.Name)]
public sealed class DatabaseRestartTests(FaultCluster cluster, ITestOutputHelper output) : IClassFixture<FaultCluster>
{
    [Fact]
    public Task Postgres_restart_mid_job_loses_nothing() => RestartMidJobAsync(nameof(Postgres_restart_mid_job_loses_nothing), crash: false);

    /// <summary>
    /// An immediate shutdown loses every commit whose WAL record was not yet written. If a claim's
    /// commit could be lost while its worker ran the job, the next claim would reuse the attempt
    /// number. When the crash falls in that window, the round checks see one attempt delivered
    /// twice or two attempts overlap.
    /// </summary>
    [Fact]
    public Task Postgres_crash_mid_job_loses_nothing() => RestartMidJobAsync(nameof(Postgres_crash_mid_job_loses_nothing), crash: true);

    private async Task RestartMidJobAsync(string scenario, bool crash)
    {
        await using var harness = await FaultHarness.StartAsync(scenario, cluster.ConnectionString, cluster.DataSource, output);
        await harness.StartWorkersAsync(2);

        await harness.RunRoundsAsync(async round =>
        {
            var clock = Stopwatch.StartNew();
            var errorsBefore = harness.CountWorkerLogEntries(FaultHarness.DatabaseErrorEvents);
            var ids = await harness.EnqueueAsync(40, 50, 400);
            await harness.WaitForTotalInFlightAsync(4, TimeSpan.FromSeconds(20));
            var inFlight = harness.Receiver.InFlightCount;
            var took = await cluster.RestartAsync(crash);

            await harness.WaitForFinalAsync(ids, FaultHarness.FinalTimeout);
            var errors = harness.CountWorkerLogEntries(FaultHarness.DatabaseErrorEvents) - errorsBefore;
            await harness.FinishRoundAsync(round, ids, string.Create(CultureInfo.InvariantCulture,
                $"pg_ctl restart -m {(crash ? "immediate" : "fast")} with {inFlight} deliveries in flight, " +
                $"took {took.TotalSeconds:0.0} s, {errors} database errors logged by workers"), clock);
            FaultHarness.AssertRunning(harness.Workers);
        });
    }
}
