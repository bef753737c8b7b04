using System.Diagnostics;
using System.Globalization;
using JobQueue.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace JobQueue.Tests.Faults;

/// <summary>
/// Freezes a worker after its claim committed in the server but before it read the claimed jobs,
/// the narrow window that a random SIGSTOP almost never hits. A deferred trigger of this test's
/// own waits at each claim's commit for an advisory lock that the test holds, so the test can stop
/// one worker while its claim waits, then let the commit finish.
/// </summary>
[Collection(FaultGroup.Name)]
public sealed class StaleClaimTests(TestDatabase database, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    private const long CommitLockKey = 7_001_001;

    // Fires at the commit of each claim (a job moving to 'running') and waits while the test
    // holds the advisory lock. It exists only in this class's test database.
    private static readonly string HoldClaimCommits = $"""
        CREATE FUNCTION public.fault_hold_claim_commit() RETURNS trigger LANGUAGE plpgsql AS $body$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared({CommitLockKey});
            RETURN NULL;
        END
        $body$;
        CREATE CONSTRAINT TRIGGER fault_hold_claim_commit AFTER UPDATE ON jobqueue.jobs
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
        WHEN (NEW.state = 'running' AND OLD.state <> 'running')
        EXECUTE FUNCTION public.fault_hold_claim_commit();
        """;

    private static readonly TimeSpan FaultWait = TimeSpan.FromSeconds(20);

    // A worker frozen between its claim and the dispatch must not deliver attempts whose lease
    // ran out meanwhile: another worker has retried those jobs already.
    [Fact]
    public async Task Sigstop_during_claim_runs_no_stale_attempt()
    {
        await using var harness = await FaultHarness.StartAsync(
            nameof(Sigstop_during_claim_runs_no_stale_attempt), database.ConnectionString, database.DataSource, output);
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await ExecuteAsync(connection, HoldClaimCommits);
        }

        var workers = await harness.StartWorkersAsync(2);
        var victim = workers[0];

        await harness.RunRoundsAsync(async round =>
        {
            var clock = Stopwatch.StartNew();
            IReadOnlyList<long> ids;
            TimeSpan pausedAt;
            await using (var holder = await database.DataSource.OpenConnectionAsync())
            {
                await ExecuteAsync(holder, $"SELECT pg_advisory_lock({CommitLockKey})");
                ids = await harness.EnqueueAsync(2 * FaultHarness.SlotsPerWorker, 50, 400);
                await WaitForBlockedClaimsAsync(workers.Count);
                pausedAt = harness.Receiver.Now;
                victim.Pause();

                // Lets both claims commit. The stopped worker's jobs now run under a lease it cannot renew.
                await ExecuteAsync(holder, $"SELECT pg_advisory_unlock({CommitLockKey})");
            }

            // The other worker rescues the stopped worker's claimed jobs once their leases expire and runs them.
            await harness.WaitForFinalAsync(ids, FaultHarness.FinalTimeout);
            var pausedFor = harness.Receiver.Now - pausedAt;
            var resumedAt = harness.Receiver.Now;
            victim.Resume();

            // Time for the resumed worker to read its claim and, if it does, start the stale attempts.
            await Task.Delay(TimeSpan.FromSeconds(2));
            var result = await harness.FinishRoundAsync(round, ids, string.Create(CultureInfo.InvariantCulture,
                $"SIGSTOP to {victim.Name} for {pausedFor.TotalSeconds:0.0} s while its claim waited to commit"), clock);

            var rescued = result.Jobs.Values.Sum(job => job?.Errors.Count(e => e.Reason == RoundChecks.LeaseExpired) ?? 0);
            Assert.True(rescued > 0,
                $"Round {round}: no job was rescued, so the stopped worker's claim took no job and the round tested nothing.");
            var late = result.Deliveries.Where(d => d.Worker == victim.Name && d.Start >= resumedAt)
                .Select(d => RoundChecks.Describe(d.JobId, result.Jobs[d.JobId], result.Deliveries.Where(x => x.JobId == d.JobId).ToList()))
                .ToList();
            Assert.True(late.Count == 0,
                $"Round {round}: {victim.Name} delivered attempts whose leases had expired while it was stopped:\n{string.Join("\n", late)}");
            FaultHarness.AssertRunning(workers);
        });
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Waits until <paramref name="count"/> worker sessions wait for a lock, which here means a claim waits to commit.</summary>
    private async Task WaitForBlockedClaimsAsync(int count)
    {
        const string Sql = """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'jobqueue' AND wait_event_type = 'Lock'
            """;
        var waited = Stopwatch.StartNew();
        while (await database.ScalarAsync<long>(Sql) < count)
        {
            if (waited.Elapsed >= FaultWait)
            {
                throw new TimeoutException($"Fewer than {count} worker claims waited to commit within {FaultWait.TotalSeconds} s.");
            }

            await Task.Delay(20);
        }
    }
}
