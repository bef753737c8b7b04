namespace JobQueue.Engine.Schedules;

/// <summary>
/// Settings of the scheduler that turns recurring schedules into jobs, bound from the <c>Cron</c>
/// section (<c>Cron__MissedAfter</c> and so on). The schedules themselves are in the database,
/// written over the API or from the <c>Schedules</c> section at start-up.
/// </summary>
public sealed class CronOptions
{
    public const string SectionName = "Cron";

    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan DefaultMissedAfter = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultRunRetention = TimeSpan.FromDays(7);

    /// <summary>Whether this worker runs the scheduler. Every worker may; the database lets one enqueue each slot. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Maximum sleep between two reads of the schedules table. The scheduler wakes earlier for a
    /// slot it has read, so this bounds how long a new or changed schedule waits to be seen.
    /// Default 1 second.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = DefaultPollInterval;

    /// <summary>
    /// Age at which a slot the scheduler reaches late counts as missed, so that the schedule's
    /// <c>missed</c> policy applies to it. Later slots run as usual. Default 30 seconds.
    /// </summary>
    public TimeSpan MissedAfter { get; set; } = DefaultMissedAfter;

    /// <summary>How long the record of a handled slot is kept. Default 7 days.</summary>
    public TimeSpan RunRetention { get; set; } = DefaultRunRetention;

    /// <summary>Returns a message naming the first invalid setting, or null when all are valid.</summary>
    public string? Validate()
    {
        if (PollInterval < TimeSpan.FromMilliseconds(10) || PollInterval > TimeSpan.FromMinutes(1))
        {
            return $"Cron:PollInterval must be between 10 ms and 1 minute; it is {PollInterval}.";
        }

        if (MissedAfter < TimeSpan.FromSeconds(1) || MissedAfter > TimeSpan.FromDays(1))
        {
            return $"Cron:MissedAfter must be between 1 second and 1 day; it is {MissedAfter}.";
        }

        if (RunRetention < TimeSpan.FromHours(1))
        {
            return $"Cron:RunRetention must be at least 1 hour; it is {RunRetention}.";
        }

        return null;
    }
}
