using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Engine.Schedules;

/// <summary>Converts schedules between their wire form, their stored rows and the jobs they enqueue.</summary>
public static class ScheduleMapping
{
    public const string DefaultQueue = "default";

    private static readonly JsonSerializerOptions TemplateJson = new() { WriteIndented = false };

    /// <summary>Fills in the template's defaults, so the stored template shows what every job gets.</summary>
    public static ScheduleJob WithDefaults(ScheduleJob job, int defaultMaxAttempts)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job with
        {
            Queue = job.Queue ?? DefaultQueue,
            Args = job.Args ?? JsonSerializer.SerializeToElement(new Dictionary<string, string>()),
            Priority = job.Priority ?? 0,
            MaxAttempts = job.MaxAttempts ?? defaultMaxAttempts,
            Tags = job.Tags ?? [],
        };
    }

    /// <summary>Builds the row to store from a definition whose fields passed <see cref="ScheduleRules"/>.</summary>
    public static ScheduleRow ToRow(
        string name, PutScheduleRequest definition, ScheduleJob resolvedJob, ScheduleSource source, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(definition);
        var timeZone = definition.TimeZone ?? ScheduleRules.DefaultTimeZone;
        var enabled = definition.Enabled ?? true;
        var cron = ScheduleRules.ParseCron(definition.Cron, out var cronError)
            ?? throw new ArgumentException(cronError, nameof(definition));
        var zone = ScheduleRules.FindTimeZone(timeZone, out var zoneError)
            ?? throw new ArgumentException(zoneError, nameof(definition));
        return new ScheduleRow(
            Name: name,
            Cron: definition.Cron.Trim(),
            TimeZone: timeZone,
            Enabled: enabled,
            JobJson: JsonSerializer.Serialize(resolvedJob, TemplateJson),
            Missed: WireName(definition.Missed ?? MissedPolicy.Skip),
            CatchUpLimit: definition.CatchUpLimit ?? ScheduleRules.DefaultCatchUpLimit,
            Overlap: WireName(definition.Overlap ?? OverlapPolicy.Allow),
            Source: WireName(source),
            NextRunAt: enabled ? cron.GetNextOccurrence(now, zone, inclusive: false) : null);
    }

    /// <summary>Converts a stored row to its wire form.</summary>
    public static Schedule ToContract(ScheduleRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new Schedule
        {
            Name = row.Name,
            Cron = row.Cron,
            TimeZone = row.TimeZone,
            Enabled = row.Enabled,
            Job = ReadTemplate(row.JobJson),
            Missed = Parse<MissedPolicy>(row.Missed),
            CatchUpLimit = row.CatchUpLimit,
            Overlap = Parse<OverlapPolicy>(row.Overlap),
            Source = Parse<ScheduleSource>(row.Source),
            LastRunAt = row.LastRunAt,
            LastJobId = row.LastJobId,
            NextRunAt = row.NextRunAt,
            CreatedAt = row.CreatedAt,
            UpdatedAt = row.UpdatedAt,
        };
    }

    public static ScheduleJob ReadTemplate(string json) =>
        JsonSerializer.Deserialize<ScheduleJob>(json, TemplateJson)
        ?? throw new InvalidDataException("A stored job template is JSON null.");

    /// <summary>
    /// Builds the job a schedule enqueues: the template, due at once, tagged with the schedule's
    /// name. Tags are deduplicated, so a template that already has the tag keeps one.
    /// </summary>
    public static NewJob ToNewJob(ScheduleRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var template = ReadTemplate(row.JobJson);
        var tags = (template.Tags ?? []).Append(ScheduleRules.TagPrefix + row.Name).Distinct(StringComparer.Ordinal).ToList();
        return new NewJob(
            Queue: template.Queue ?? DefaultQueue,
            Kind: template.Kind,
            ArgsJson: template.Args is { } args ? JsonSerializer.Serialize(args) : "{}",
            Priority: (short)(template.Priority ?? 0),
            MaxAttempts: template.MaxAttempts ?? 20,
            TimeoutMs: template.TimeoutSeconds is { } timeout ? (int)Math.Ceiling(timeout * 1000) : null,
            Tags: tags,
            RunAt: null,
            DelayMs: null);
    }

    public static string WireName<TEnum>(TEnum value)
        where TEnum : struct, Enum => JsonSerializer.Serialize(value).Trim('"');

    public static TEnum Parse<TEnum>(string wireName)
        where TEnum : struct, Enum => JsonSerializer.Deserialize<TEnum>($"\"{wireName}\"");
}
