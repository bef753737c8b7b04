using System.Globalization;
using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Faults;

/// <summary>The figures of one fault round, as printed to the test log.</summary>
/// <param name="Duplicates">Jobs whose deliveries were answered more than once (allowed: delivery is at least once).</param>
/// <param name="MaxAttempt">Highest attempt number among the round's jobs.</param>
/// <param name="Rescued">Attempts the rescuer ended because their lease expired.</param>
/// <param name="Released">Attempts a worker gave back for shutdown.</param>
internal sealed record RoundFigures(
    int Round, string Fault, int Jobs, int Deliveries, int Duplicates, int MaxAttempt, int Rescued, int Released,
    TimeSpan Elapsed)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"round {Round}: jobs {Jobs}, deliveries {Deliveries}, duplicates {Duplicates}, max attempt {MaxAttempt}, " +
        $"rescued {Rescued}, released {Released}, elapsed {Elapsed.TotalSeconds:0.0} s; fault: {Fault}");
}

/// <summary>
/// The invariants that every fault round must keep, whatever the fault. Each is its own assert
/// whose message lists the offending jobs (at most <see cref="MaxListed"/>) with their row and
/// their deliveries as the receiver saw them.
/// </summary>
internal static class RoundChecks
{
    public const string LeaseExpired = "lease_expired";
    public const string Shutdown = "shutdown";

    private const int MaxListed = 10;

    public static RoundFigures Check(int round, string fault, IReadOnlyList<long> ids,
        IReadOnlyDictionary<long, Job?> rows, IReadOnlyList<ProbeDelivery> deliveries, TimeSpan elapsed)
    {
        var byJob = ids.ToDictionary(id => id, id => deliveries.Where(d => d.JobId == id).OrderBy(d => d.Start).ToList());

        var notCompleted = new List<string>();
        var notFinished = new List<string>();
        var attemptBelowDeliveries = new List<string>();
        var wrongResult = new List<string>();
        var errorOnCompletingAttempt = new List<string>();
        var wrongBudget = new List<string>();
        var overlapping = new List<string>();
        var staleStarts = new List<string>();
        var repeatedAttempts = new List<string>();

        foreach (var id in ids)
        {
            var job = rows.GetValueOrDefault(id);
            var seen = byJob[id];
            var evidence = Describe(id, job, seen);
            if (job is null || job.State != JobState.Completed)
            {
                notCompleted.Add(evidence);
                continue;
            }

            if (job.FinishedAt is null)
            {
                notFinished.Add(evidence);
            }

            // A delivery can be lost in flight (the worker died before the request arrived), so the
            // attempt counter may run ahead of the receiver, never behind it.
            if (job.Attempt < seen.Count)
            {
                attemptBelowDeliveries.Add(evidence);
            }

            // The stored result is the receiver's response to the attempt that completed the job, so
            // a stale attempt that overwrote the row would show up as a different attempt here.
            if (!ResultMatches(job) || !seen.Any(d => d.Attempt == job.Attempt && d.Answered))
            {
                wrongResult.Add(evidence);
            }

            if (job.Errors.Any(e => e.Attempt >= job.Attempt))
            {
                errorOnCompletingAttempt.Add(evidence);
            }

            // Only a release for shutdown raises the budget, by one per release.
            if (job.MaxAttempts != FaultHarness.MaxAttempts + job.Errors.Count(e => e.Reason == Shutdown))
            {
                wrongBudget.Add(evidence);
            }

            for (var i = 1; i < seen.Count; i++)
            {
                if (seen[i - 1].End > seen[i].Start)
                {
                    overlapping.Add($"{evidence}: [{seen[i - 1]}] still ran when [{seen[i]}] started");
                }
            }

            // An attempt must not start its delivery after a newer attempt of the same job started:
            // its lease was gone by then.
            foreach (var delivery in seen)
            {
                var newer = seen.FirstOrDefault(d => d.Attempt > delivery.Attempt && d.Start < delivery.Start);
                if (newer is not null)
                {
                    staleStarts.Add($"{evidence}: [{delivery}] started after [{newer}]");
                }
            }

            if (seen.GroupBy(d => d.Attempt).Any(g => g.Count() > 1))
            {
                repeatedAttempts.Add(evidence);
            }
        }

        AssertNone(notCompleted, $"jobs are not completed {FaultHarness.FinalTimeout.TotalSeconds:0} s after the fault", round);
        AssertNone(notFinished, "completed jobs have no finished_at", round);
        AssertNone(attemptBelowDeliveries, "jobs have fewer attempts than the receiver saw deliveries", round);
        AssertNone(wrongResult, "jobs store a result that is not the response to their completing attempt", round);
        AssertNone(errorOnCompletingAttempt, "jobs have an error recorded for their completing attempt or a later one", round);
        AssertNone(wrongBudget,
            $"jobs have max_attempts other than {FaultHarness.MaxAttempts} plus their shutdown releases", round);
        AssertNone(overlapping, "jobs had attempts overlap at the receiver", round);
        AssertNone(staleStarts, "jobs had a stale attempt start its delivery after a newer attempt started", round);
        AssertNone(repeatedAttempts, "jobs had one attempt delivered more than once", round);

        var completedRows = rows.Values.OfType<Job>().ToList();
        return new RoundFigures(
            round,
            fault,
            ids.Count,
            deliveries.Count,
            byJob.Values.Count(seen => seen.Count(d => d.Answered) > 1),
            completedRows.Count == 0 ? 0 : completedRows.Max(j => j.Attempt),
            completedRows.Sum(j => j.Errors.Count(e => e.Reason == LeaseExpired)),
            completedRows.Sum(j => j.Errors.Count(e => e.Reason == Shutdown)),
            elapsed);
    }

    /// <summary>One line about a job: its row and every delivery of it, in start order.</summary>
    public static string Describe(long id, Job? job, IReadOnlyList<ProbeDelivery> deliveries)
    {
        var row = job is null
            ? "row missing"
            : string.Create(CultureInfo.InvariantCulture,
                $"state {JobStates.ToName(job.State)}, attempt {job.Attempt}, max_attempts {job.MaxAttempts}, " +
                $"finished_at {job.FinishedAt?.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) ?? "null"}, " +
                $"result {(job.Result is { } result ? result.GetRawText() : "null")}, " +
                $"errors [{string.Join(", ", job.Errors.Select(e => $"{e.Reason}@{e.Attempt}"))}]");
        var seen = deliveries.Count == 0 ? "none" : string.Join("; ", deliveries.OrderBy(d => d.Start));
        return $"job {id} ({row}; deliveries: {seen})";
    }

    private static bool ResultMatches(Job job)
    {
        if (job.Result is not { ValueKind: JsonValueKind.Object } result
            || !result.TryGetProperty("job_id", out var jobId)
            || !result.TryGetProperty("attempt", out var attempt))
        {
            return false;
        }

        return jobId.GetInt64() == job.Id && attempt.GetInt32() == job.Attempt;
    }

    private static void AssertNone(List<string> violations, string violation, int round) =>
        Assert.True(violations.Count == 0,
            $"Round {round}: {violations.Count} {violation}:\n" + string.Join("\n", violations.Take(MaxListed)));
}
