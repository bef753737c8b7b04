using System.Diagnostics;
using System.Globalization;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;
using Xunit.Abstractions;

namespace JobQueue.Tests.Faults;

/// <summary>
/// Faults aimed at worker processes and their database sessions: the published worker runs as
/// real processes against the test database and delivers probe jobs to a receiver in this
/// process. Every round ends with the checks of <see cref="RoundChecks"/>.
/// </summary>
[Collection(FaultGroup.Name)]
public sealed class WorkerFaultTests(TestDatabase database, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    private const int ShortJobMinMs = 50;
    private const int ShortJobMaxMs = 400;

    // Above the workers' 2-second shutdown timeout and below their 3-second lease.
    private const int LongJobMs = 2500;

    private static readonly TimeSpan FaultWait = TimeSpan.FromSeconds(20);

    // Log event ids of the worker that show it ended a stale attempt: the outcome write was
    // fenced (JobRunner 3004), or the lease keeper found the lease lost (3202) or expiring (3203).
    private static readonly int[] StaleAttemptEvents = [3004, 3202, 3203];

    private Task<FaultHarness> StartHarnessAsync(string scenario) =>
        FaultHarness.StartAsync(scenario, database.ConnectionString, database.DataSource, output);

    [Fact]
    public async Task Sigkill_mid_job_loses_nothing()
    {
        await using var harness = await StartHarnessAsync(nameof(Sigkill_mid_job_loses_nothing));
        await harness.StartWorkersAsync(2);
        var killed = new List<FaultWorker>();

        await harness.RunRoundsAsync(async round =>
        {
            var clock = Stopwatch.StartNew();
            var ids = await harness.EnqueueAsync(16, ShortJobMinMs, ShortJobMaxMs);
            var victim = await harness.WaitForBusyWorkerAsync(2, FaultWait);
            var inFlight = harness.Receiver.InFlight(victim.Name).Count;
            victim.Kill();
            killed.Add(victim);
            Assert.True(await victim.WaitForExitAsync(TimeSpan.FromSeconds(10)), $"Worker {victim.Name} survived SIGKILL.");
            var replacement = harness.StartWorker();

            var result = await harness.FinishRoundAsync(round, ids,
                $"SIGKILL to {victim.Name} with {inFlight} deliveries in flight, replaced by {replacement.Name}", clock);

            // The killed worker's cut-off deliveries can only have ended by lease expiry.
            var cutOff = result.Deliveries.Where(d => d.Worker == victim.Name && !d.Answered).ToList();
            Assert.True(cutOff.Count > 0,
                $"Round {round}: {victim.Name} had {inFlight} deliveries in flight at SIGKILL, but the receiver saw none cut off.");
            var notRescued = cutOff
                .Where(d => !HasError(result.Jobs[d.JobId], d.Attempt, RoundChecks.LeaseExpired))
                .Select(d => RoundChecks.Describe(d.JobId, result.Jobs[d.JobId], result.Deliveries.Where(x => x.JobId == d.JobId).ToList()))
                .ToList();
            Assert.True(notRescued.Count == 0,
                $"Round {round}: attempts cut off by SIGKILL have no lease_expired error:\n{string.Join("\n", notRescued)}");
            FaultHarness.AssertRunning(harness.Workers.Except(killed));
        });
    }

    [Fact]
    public async Task Sigstop_past_lease_is_fenced()
    {
        await using var harness = await StartHarnessAsync(nameof(Sigstop_past_lease_is_fenced));
        await harness.StartWorkersAsync(2);

        await harness.RunRoundsAsync(async round =>
        {
            var clock = Stopwatch.StartNew();
            var ids = await harness.EnqueueAsync(16, ShortJobMinMs, ShortJobMaxMs);
            var victim = await harness.WaitForBusyWorkerAsync(2, FaultWait);
            var inFlight = harness.Receiver.InFlight(victim.Name).Count;
            var pausedAt = harness.Receiver.Now;
            victim.Pause();

            // The other worker rescues the frozen worker's jobs once their leases expire and runs them.
            var whilePaused = await harness.WaitForFinalAsync(ids, FaultHarness.FinalTimeout);
            var pausedFor = harness.Receiver.Now - pausedAt;
            var resumedAt = harness.Receiver.Now;
            victim.Resume();

            // Attempts of the frozen worker that the rescuer ended. The resumed worker still runs them until it notices.
            var stale = harness.Receiver.Deliveries
                .Where(d => d.Worker == victim.Name && d.End >= pausedAt && ids.Contains(d.JobId))
                .Where(d => HasError(whilePaused[d.JobId], d.Attempt, RoundChecks.LeaseExpired))
                .Select(d => (d.JobId, d.Attempt))
                .ToList();
            var unnoticed = await WaitForLogEntriesAsync(victim, stale, TimeSpan.FromSeconds(5));

            // Give a resumed worker that did not stop its attempts time to write before the rows are compared.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var afterResume = await harness.ReadJobsAsync(ids);
            var result = await harness.FinishRoundAsync(round, ids, string.Create(CultureInfo.InvariantCulture,
                $"SIGSTOP to {victim.Name} with {inFlight} deliveries in flight for {pausedFor.TotalSeconds:0.0} s, " +
                $"{stale.Count} of its attempts rescued meanwhile"), clock);

            Assert.True(pausedFor > FaultHarness.LeaseDuration,
                $"Round {round}: {victim.Name} was stopped for only {pausedFor.TotalSeconds:0.0} s, less than the lease.");
            Assert.True(stale.Count > 0,
                $"Round {round}: {victim.Name} had {inFlight} deliveries in flight when stopped, but none of its attempts was rescued.");

            var changed = ids
                .Where(id => !SameRow(whilePaused[id], afterResume[id]))
                .Select(id => $"before: {RoundChecks.Describe(id, whilePaused[id], [])}; after: {RoundChecks.Describe(id, afterResume[id], [])}")
                .ToList();
            Assert.True(changed.Count == 0,
                $"Round {round}: rows changed after {victim.Name} resumed, so a stale write got through:\n{string.Join("\n", changed)}");

            var late = result.Deliveries.Where(d => d.Worker == victim.Name && d.Start >= resumedAt)
                .Select(d => RoundChecks.Describe(d.JobId, result.Jobs[d.JobId], result.Deliveries.Where(x => x.JobId == d.JobId).ToList()))
                .ToList();
            Assert.True(late.Count == 0,
                $"Round {round}: {victim.Name} started deliveries after it resumed, though every job was completed:\n{string.Join("\n", late)}");

            Assert.True(unnoticed.Count == 0,
                $"Round {round}: {victim.Name} logged neither a fenced write nor a lost lease (events " +
                $"{string.Join(", ", StaleAttemptEvents)}) within 5 s of resuming for these rescued attempts: " +
                string.Join(", ", unnoticed.Select(a => $"job {a.JobId} attempt {a.Attempt}")));
            FaultHarness.AssertRunning(harness.Workers);
        });
    }

    [Fact]
    public async Task Terminated_database_sessions_lose_nothing()
    {
        await using var harness = await StartHarnessAsync(nameof(Terminated_database_sessions_lose_nothing));
        await harness.StartWorkersAsync(2);

        await harness.RunRoundsAsync(async round =>
        {
            var clock = Stopwatch.StartNew();
            var errorsBefore = harness.CountWorkerLogEntries(FaultHarness.DatabaseErrorEvents);
            var ids = await harness.EnqueueAsync(40, ShortJobMinMs, ShortJobMaxMs);
            await harness.WaitForTotalInFlightAsync(4, FaultWait);

            // Three sweeps spaced apart hit the sessions in different states: claiming, renewing,
            // storing an outcome, and the LISTEN connection.
            var terminated = 0;
            for (var sweep = 0; sweep < 3; sweep++)
            {
                terminated += await TerminateWorkerSessionsAsync();
                await Task.Delay(300);
            }

            await harness.WaitForFinalAsync(ids, FaultHarness.FinalTimeout);
            var errors = harness.CountWorkerLogEntries(FaultHarness.DatabaseErrorEvents) - errorsBefore;
            await harness.FinishRoundAsync(round, ids,
                $"pg_terminate_backend on {terminated} worker sessions in 3 sweeps, {errors} database errors logged by workers", clock);
            Assert.True(terminated > 0, $"Round {round}: no session with application_name 'jobqueue' was found to terminate.");
            FaultHarness.AssertRunning(harness.Workers);
        });
    }

    [Fact]
    public async Task Sigterm_releases_long_jobs_to_another_worker()
    {
        await using var harness = await StartHarnessAsync(nameof(Sigterm_releases_long_jobs_to_another_worker));
        var steady = (await harness.StartWorkersAsync(1)).Single();

        await harness.RunRoundsAsync(async round =>
        {
            var leaving = (await harness.StartWorkersAsync(1)).Single();
            var clock = Stopwatch.StartNew();

            // Two workers' worth of slots, so each worker takes a full batch.
            var ids = await harness.EnqueueAsync(2 * FaultHarness.SlotsPerWorker, LongJobMs, LongJobMs);
            await harness.WaitForInFlightAsync(leaving, 1, FaultWait);
            var inFlight = harness.Receiver.InFlight(leaving.Name).Count;
            leaving.Terminate();
            Assert.True(await leaving.WaitForExitAsync(FaultWait),
                $"Round {round}: {leaving.Name} did not exit within {FaultWait.TotalSeconds} s of SIGTERM.\n{leaving.Output}");

            var result = await harness.FinishRoundAsync(round, ids,
                $"SIGTERM to {leaving.Name} with {inFlight} deliveries of {LongJobMs} ms in flight", clock);

            // The jobs are longer than the shutdown timeout, so the shutdown releases some of them.
            // Counted from the jobs, because a receiver can finish its response just as the worker
            // gives up on it, and then the job is released although the response was sent.
            var released = result.Deliveries
                .Where(d => d.Worker == leaving.Name && HasError(result.Jobs[d.JobId], d.Attempt, RoundChecks.Shutdown))
                .ToList();
            Assert.True(released.Count > 0,
                $"Round {round}: {leaving.Name} had {inFlight} deliveries in flight at SIGTERM, but the shutdown released none.");

            // Deliveries cut off by the shutdown must have been released, not left to the rescuer.
            var cutOff = result.Deliveries.Where(d => d.Worker == leaving.Name && !d.Answered).ToList();
            var notReleased = cutOff
                .Where(d => !HasError(result.Jobs[d.JobId], d.Attempt, RoundChecks.Shutdown))
                .Select(d => RoundChecks.Describe(d.JobId, result.Jobs[d.JobId], result.Deliveries.Where(x => x.JobId == d.JobId).ToList()))
                .ToList();
            Assert.True(notReleased.Count == 0,
                $"Round {round}: attempts cut off by shutdown have no 'shutdown' error:\n{string.Join("\n", notReleased)}");

            // A released job is finished by the other worker.
            var finishedByLeaving = result.Jobs.Values.OfType<Job>()
                .Where(job => job.Errors.Any(e => e.Reason == RoundChecks.Shutdown))
                .Where(job => result.Deliveries.Any(d => d.JobId == job.Id && d.Attempt == job.Attempt && d.Worker == leaving.Name))
                .Select(job => RoundChecks.Describe(job.Id, job, result.Deliveries.Where(x => x.JobId == job.Id).ToList()))
                .ToList();
            Assert.True(finishedByLeaving.Count == 0,
                $"Round {round}: released jobs were completed by the worker that released them:\n{string.Join("\n", finishedByLeaving)}");
            FaultHarness.AssertRunning([steady]);
        });
    }

    private static bool HasError(Job? job, int attempt, string reason) =>
        job is not null && job.Errors.Any(e => e.Attempt == attempt && e.Reason == reason);

    private static bool SameRow(Job? before, Job? after) =>
        before is not null && after is not null
        && before.State == after.State
        && before.Attempt == after.Attempt
        && before.MaxAttempts == after.MaxAttempts
        && before.FinishedAt == after.FinishedAt
        && before.Errors.Count == after.Errors.Count
        && before.Result?.GetRawText() == after.Result?.GetRawText();

    /// <summary>
    /// Waits until <paramref name="worker"/> has logged one of <see cref="StaleAttemptEvents"/> for
    /// each attempt, and returns the attempts still without one after <paramref name="timeout"/>.
    /// </summary>
    private static async Task<IReadOnlyList<(long JobId, int Attempt)>> WaitForLogEntriesAsync(
        FaultWorker worker, IReadOnlyList<(long JobId, int Attempt)> attempts, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var logged = worker.LogEntries(StaleAttemptEvents).Select(e => (e.JobId, e.Attempt)).ToHashSet();
            var missing = attempts.Where(a => !logged.Contains(a)).ToList();
            if (missing.Count == 0 || waited.Elapsed >= timeout)
            {
                return missing;
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Terminates the worker sessions on the test database and returns how many there were.</summary>
    private async Task<int> TerminateWorkerSessionsAsync()
    {
        // The targets are materialised first, so pg_terminate_backend is only called for sessions
        // of this database that the storage layer named 'jobqueue'. The test's own session has no
        // application name.
        const string Sql = """
            WITH targets AS MATERIALIZED (
                SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND application_name = 'jobqueue' AND pid <> pg_backend_pid()
            )
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM targets
            """;
        return (int)await database.ScalarAsync<long>(Sql);
    }
}
