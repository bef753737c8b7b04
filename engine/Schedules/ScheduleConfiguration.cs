using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.Extensions.Configuration;

namespace JobQueue.Engine.Schedules;

/// <summary>
/// Reads schedules from the <c>Schedules</c> configuration section, one child per schedule:
/// <c>Schedules:{name}:Cron</c>, <c>:TimeZone</c>, <c>:Enabled</c>, <c>:Missed</c>,
/// <c>:CatchUpLimit</c>, <c>:Overlap</c> and <c>:Job:Kind</c>, <c>:Job:Queue</c>,
/// <c>:Job:Priority</c>, <c>:Job:MaxAttempts</c>, <c>:Job:TimeoutSeconds</c>, <c>:Job:Tags:0</c>,
/// <c>:Job:Args:{member}</c> (string values, nested by section) or <c>:Job:ArgsJson</c> (JSON text).
/// </summary>
public static class ScheduleConfiguration
{
    public const string SectionName = "Schedules";

    private static readonly string[] ScheduleKeys = ["Cron", "TimeZone", "Enabled", "Missed", "CatchUpLimit", "Overlap", "Job"];
    private static readonly string[] JobKeys = ["Kind", "Queue", "Args", "ArgsJson", "Priority", "MaxAttempts", "TimeoutSeconds", "Tags"];

    /// <summary>
    /// Reads and checks every schedule of the section. Returns the rows to store, or the failures,
    /// each naming its configuration key.
    /// </summary>
    public static (IReadOnlyList<ScheduleRow> Rows, IReadOnlyList<string> Failures) Read(IConfiguration configuration, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var defaultMaxAttempts = configuration.GetValue("Api:DefaultMaxAttempts", 20);
        var rows = new List<ScheduleRow>();
        var failures = new List<string>();
        foreach (var entry in configuration.GetSection(SectionName).GetChildren())
        {
            var entryFailures = new List<string>();
            var row = ReadEntry(entry, defaultMaxAttempts, now, entryFailures);
            failures.AddRange(entryFailures);
            if (row is not null && entryFailures.Count == 0)
            {
                rows.Add(row);
            }
        }

        return (rows, failures);
    }

    private static ScheduleRow? ReadEntry(IConfigurationSection entry, int defaultMaxAttempts, DateTimeOffset now, List<string> failures)
    {
        var prefix = entry.Path;
        if (ScheduleRules.CheckName(entry.Key) is { } nameError)
        {
            failures.Add($"{prefix}: {nameError}");
            return null;
        }

        ReportUnknownKeys(entry, ScheduleKeys, failures);
        var jobSection = entry.GetSection("Job");
        ReportUnknownKeys(jobSection, JobKeys, failures);

        var definition = new PutScheduleRequest
        {
            Cron = entry["Cron"] ?? "",
            TimeZone = entry["TimeZone"],
            Enabled = ReadValue<bool>(entry, "Enabled", failures),
            Missed = ReadPolicy<MissedPolicy>(entry, "Missed", failures),
            CatchUpLimit = ReadValue<int>(entry, "CatchUpLimit", failures),
            Overlap = ReadPolicy<OverlapPolicy>(entry, "Overlap", failures),
        };
        var job = new ScheduleJob
        {
            Kind = jobSection["Kind"] ?? "",
            Queue = jobSection["Queue"],
            Args = ReadArgs(jobSection, failures),
            Priority = ReadValue<int>(jobSection, "Priority", failures),
            MaxAttempts = ReadValue<int>(jobSection, "MaxAttempts", failures),
            TimeoutSeconds = ReadValue<double>(jobSection, "TimeoutSeconds", failures),
            Tags = jobSection.GetSection("Tags").Exists()
                ? jobSection.GetSection("Tags").GetChildren().Select(tag => tag.Value ?? "").ToList()
                : null,
        };

        if (ScheduleRules.ParseCron(definition.Cron, out var cronError) is null)
        {
            failures.Add($"{prefix}:Cron: {cronError}");
        }

        if (ScheduleRules.FindTimeZone(definition.TimeZone ?? ScheduleRules.DefaultTimeZone, out var zoneError) is null)
        {
            failures.Add($"{prefix}:TimeZone: {zoneError}");
        }

        if (definition.CatchUpLimit is { } limit && ScheduleRules.CheckCatchUpLimit(limit) is { } limitError)
        {
            failures.Add($"{prefix}:CatchUpLimit: {limitError}");
        }

        foreach (var (_, message) in ScheduleRules.CheckTemplate(job))
        {
            failures.Add($"{prefix}:Job: {message}");
        }

        if (failures.Count > 0)
        {
            return null;
        }

        var resolved = ScheduleMapping.WithDefaults(job, defaultMaxAttempts);
        var row = ScheduleMapping.ToRow(entry.Key, definition, resolved, ScheduleSource.Config, now);
        return row with { ConfigDigest = Digest(row) };
    }

    // A digest of every stored field that comes from the entry, so that start-up rewrites a
    // row only when its entry changed.
    private static string Digest(ScheduleRow row)
    {
        var text = string.Join('\n', row.Cron, row.TimeZone, row.Enabled ? "1" : "0", row.JobJson, row.Missed,
            row.CatchUpLimit.ToString(CultureInfo.InvariantCulture), row.Overlap);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    private static void ReportUnknownKeys(IConfigurationSection section, string[] known, List<string> failures)
    {
        foreach (var child in section.GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{child.Path}: unknown setting; the known ones are {string.Join(", ", known)}.");
            }
        }
    }

    private static T? ReadValue<T>(IConfigurationSection section, string key, List<string> failures)
        where T : struct
    {
        var text = section[key];
        if (text is null)
        {
            return null;
        }

        try
        {
            return (T)Convert.ChangeType(text, typeof(T), CultureInfo.InvariantCulture);
        }
        catch (Exception exception) when (exception is FormatException or OverflowException or InvalidCastException)
        {
            failures.Add($"{section.Path}:{key}: '{text}' is not a valid {(typeof(T) == typeof(bool) ? "true or false" : "number")}.");
            return null;
        }
    }

    private static T? ReadPolicy<T>(IConfigurationSection section, string key, List<string> failures)
        where T : struct, Enum
    {
        var text = section[key];
        if (text is null)
        {
            return null;
        }

        var names = Enum.GetValues<T>().Select(ScheduleMapping.WireName).ToList();
        var match = names.FirstOrDefault(name => string.Equals(name, text, StringComparison.OrdinalIgnoreCase));
        if (match is null)
        {
            failures.Add($"{section.Path}:{key}: '{text}' is not one of {string.Join(", ", names)}.");
            return null;
        }

        return ScheduleMapping.Parse<T>(match);
    }

    private static JsonElement? ReadArgs(IConfigurationSection job, List<string> failures)
    {
        var argsJson = job["ArgsJson"];
        var args = job.GetSection("Args");
        if (argsJson is not null && args.Exists())
        {
            failures.Add($"{job.Path}: set Args or ArgsJson, not both.");
            return null;
        }

        if (argsJson is not null)
        {
            try
            {
                return JsonDocument.Parse(argsJson).RootElement.Clone();
            }
            catch (JsonException exception)
            {
                failures.Add($"{job.Path}:ArgsJson: not valid JSON ({exception.Message}).");
                return null;
            }
        }

        return args.Exists() ? JsonSerializer.SerializeToElement(ToJson(args)) : null;
    }

    // Configuration holds only strings, so each value becomes a JSON string and each section an object.
    private static JsonObject ToJson(IConfigurationSection section)
    {
        var result = new JsonObject();
        foreach (var child in section.GetChildren())
        {
            result[child.Key] = child.Value is { } value ? JsonValue.Create(value) : ToJson(child);
        }

        return result;
    }
}
