using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobQueue.Engine.Schedules;

/// <summary>
/// One pass of the scheduler: enqueues the jobs of every due slot. Every worker runs it. Workers
/// never enqueue a slot twice, because a job is inserted only in the transaction whose insert of
/// the slot's row (primary key: schedule name and slot time) succeeded. The schedule's row lock
/// (taken with SKIP LOCKED) keeps workers from working on the same schedule at once.
/// </summary>
public sealed partial class Scheduler(
    ScheduleStore store, IOptions<CronOptions> options, TimeProvider timeProvider, ILogger<Scheduler> logger)
{
    /// <summary>Most schedules read per pass; a pass that reads this many due ones is followed by another at once.</summary>
    public const int BatchSize = 100;

    /// <summary>Wait after a pass that found a due schedule locked by another worker, which is about to handle it.</summary>
    private static readonly TimeSpan LockedRetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>Handles every due schedule once. Returns how long to sleep before the next pass.</summary>
    public async Task<TimeSpan> RunDueAsync(CancellationToken cancellationToken)
    {
        var pollInterval = options.Value.PollInterval;
        var now = timeProvider.GetUtcNow();
        var listed = await store.ListDueAsync(now + pollInterval, BatchSize, cancellationToken);
        var earliest = now + pollInterval;
        var lockedElsewhere = false;
        foreach (var (name, nextRunAt) in listed)
        {
            if (nextRunAt > now)
            {
                earliest = nextRunAt < earliest ? nextRunAt : earliest;
                continue;
            }

            var advance = await AdvanceAsync(name, now, cancellationToken);
            if (advance is null)
            {
                lockedElsewhere = true;
            }
            else if (advance.NextRunAt is { } next && next < earliest)
            {
                earliest = next;
            }
        }

        if (listed.Count == BatchSize && listed[^1].NextRunAt <= now)
        {
            return TimeSpan.Zero;
        }

        var delay = earliest - timeProvider.GetUtcNow();
        if (lockedElsewhere && delay > LockedRetryDelay)
        {
            delay = LockedRetryDelay;
        }

        return delay < TimeSpan.Zero ? TimeSpan.Zero : delay;
    }

    /// <summary>
    /// Handles the due slots of one schedule as of <paramref name="now"/>. Returns null when the
    /// schedule is not due or another worker has it locked.
    /// </summary>
    public async Task<ScheduleAdvance?> AdvanceAsync(string name, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var missedAfter = options.Value.MissedAfter;
        SlotDecision? decision = null;
        var advance = await store.AdvanceAsync(
            name,
            now,
            row =>
            {
                decision = Decide(row, now, missedAfter);
                return new SlotPlan(decision.Slots, decision.NextRunAt);
            },
            (row, _) => ScheduleMapping.ToNewJob(row),
            cancellationToken);
        if (advance is null || decision is null)
        {
            return advance;
        }

        if (decision.FirstMissed is { } firstMissed)
        {
            LogMissed(name, firstMissed, now - missedAfter, advance.Schedule.Missed);
        }

        foreach (var (slot, jobId) in advance.Enqueued)
        {
            LogEnqueued(name, slot, jobId);
        }

        foreach (var slot in advance.SkippedOverlap)
        {
            LogSkippedOverlap(name, slot, advance.Schedule.LastJobId ?? 0);
        }

        if (advance.NextRunAt is null)
        {
            LogNoNextSlot(name);
        }

        return advance;
    }

    private SlotDecision Decide(ScheduleRow row, DateTimeOffset now, TimeSpan missedAfter)
    {
        var cron = ScheduleRules.ParseCron(row.Cron, out var cronError);
        var zone = ScheduleRules.FindTimeZone(row.TimeZone, out var zoneError);
        if (cron is null || zone is null)
        {
            // Only a row edited by hand, or a time zone the host's tz database lacks, gets here.
            // The schedule stops (no next slot) until it is written again.
            LogInvalidStored(row.Name, cronError ?? zoneError ?? "");
            return new SlotDecision([], null, null);
        }

        return ScheduleSlots.Plan(cron, zone, row.NextRunAt ?? now, now, missedAfter,
            ScheduleMapping.Parse<MissedPolicy>(row.Missed), row.CatchUpLimit);
    }

    [LoggerMessage(EventId = 3501, Level = LogLevel.Information, Message = "Schedule {Schedule} enqueued job {JobId} for slot {Slot:O}")]
    private partial void LogEnqueued(string schedule, DateTimeOffset slot, long jobId);

    [LoggerMessage(EventId = 3502, Level = LogLevel.Information,
        Message = "Schedule {Schedule} skipped slot {Slot:O} because its previous job {JobId} has not finished (overlap 'skip')")]
    private partial void LogSkippedOverlap(string schedule, DateTimeOffset slot, long jobId);

    [LoggerMessage(EventId = 3503, Level = LogLevel.Warning,
        Message = "Schedule {Schedule} missed its slots from {FirstMissed:O} to before {Cutoff:O}; applying missed policy '{Policy}'")]
    private partial void LogMissed(string schedule, DateTimeOffset firstMissed, DateTimeOffset cutoff, string policy);

    [LoggerMessage(EventId = 3504, Level = LogLevel.Warning, Message = "Schedule {Schedule} has no later slot; it stays idle until it is changed")]
    private partial void LogNoNextSlot(string schedule);

    [LoggerMessage(EventId = 3505, Level = LogLevel.Error, Message = "Schedule {Schedule} is stored with an invalid definition and stops: {Reason}")]
    private partial void LogInvalidStored(string schedule, string reason);
}
