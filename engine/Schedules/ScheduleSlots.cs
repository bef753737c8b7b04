using Cronos;
using JobQueue.Contracts;

namespace JobQueue.Engine.Schedules;

/// <summary>
/// Decides which slots of a schedule to run now. Occurrences come from Cronos 0.13, which handles
/// daylight saving as Vixie cron does: a slot whose local time does not exist (the clock jumps
/// forward) runs at the first valid time after the jump, and a slot whose local time occurs twice
/// (the clock jumps back) runs once, at the first of the two, unless the expression is an interval
/// in the second, minute or hour field (such as <c>*/15 * * * *</c>), which runs in both.
/// </summary>
public static class ScheduleSlots
{
    /// <summary>
    /// Plans the slots from <paramref name="nextRunAt"/> (the earliest slot not yet handled) to
    /// <paramref name="now"/>, both inclusive. Slots older than <paramref name="missedAfter"/> are
    /// missed, and <paramref name="missed"/> decides what runs of them: nothing, one job at the
    /// first missed slot, or the latest <paramref name="catchUpLimit"/> of them. Later slots all run.
    /// </summary>
    public static SlotDecision Plan(
        CronExpression cron,
        TimeZoneInfo zone,
        DateTimeOffset nextRunAt,
        DateTimeOffset now,
        TimeSpan missedAfter,
        MissedPolicy missed,
        int catchUpLimit)
    {
        ArgumentNullException.ThrowIfNull(cron);
        ArgumentNullException.ThrowIfNull(zone);
        var cutoff = now - missedAfter;
        var slots = new List<DateTimeOffset>();
        DateTimeOffset? firstMissed = null;

        // Searches start one tick before a slot time rather than at it, inclusively. Cronos finds
        // a slot moved by a spring-forward gap (02:30 becoming 03:00) only when the search starts
        // before the gap, so an inclusive search from the moved time itself would skip it.
        // Slots are whole seconds, so no slot lies in that tick.
        var tick = TimeSpan.FromTicks(1);
        if (cron.GetNextOccurrence(nextRunAt - tick, zone, inclusive: false) is { } first && first < cutoff)
        {
            firstMissed = first;
            if (missed == MissedPolicy.Once)
            {
                slots.Add(first);
            }
            else if (missed == MissedPolicy.CatchUp)
            {
                // Walked backwards from the cutoff, so a long outage costs at most the limit. Each
                // slot is checked against the forward walk, because around a daylight-saving change
                // the two directions need not agree for non-interval expressions.
                var latest = cron.GetOccurrencesDescending(cutoff, first, zone, fromInclusive: false, toInclusive: true)
                    .Where(slot => cron.GetNextOccurrence(slot - tick, zone, inclusive: false) == slot)
                    .Take(catchUpLimit)
                    .Reverse();
                slots.AddRange(latest);
            }
        }

        var onTimeFrom = (nextRunAt > cutoff ? nextRunAt : cutoff) - tick;
        slots.AddRange(cron.GetOccurrences(onTimeFrom, now, zone, fromInclusive: false, toInclusive: true));
        return new SlotDecision(slots, cron.GetNextOccurrence(now, zone, inclusive: false), firstMissed);
    }
}

/// <summary>
/// The slots to run now, oldest first; the next slot after <c>now</c> (null when the expression
/// has none); and the first missed slot, when any slot was missed.
/// </summary>
public sealed record SlotDecision(IReadOnlyList<DateTimeOffset> Slots, DateTimeOffset? NextRunAt, DateTimeOffset? FirstMissed);
