using System.Text.RegularExpressions;
using Cronos;
using JobQueue.Contracts;

namespace JobQueue.Engine.Schedules;

/// <summary>
/// Checks of a schedule's name, cron expression, time zone and policies, shared by the API and
/// by the configuration read at start-up. Messages name the wire field.
/// </summary>
public static partial class ScheduleRules
{
    public const int MaxNameLength = 100;
    public const int MaxCronLength = 200;
    public const int MaxTimeZoneLength = 64;
    public const int DefaultCatchUpLimit = 10;
    public const int MaxCatchUpLimit = 1000;
    public const string DefaultTimeZone = "UTC";

    /// <summary>Every job of a schedule carries this tag followed by the schedule's name.</summary>
    public const string TagPrefix = "schedule:";

    /// <summary>Most tags of a template: one below the API's 32, because the scheduler adds <see cref="TagPrefix"/>.</summary>
    public const int MaxTemplateTags = 31;

    /// <summary>Returns a message when <paramref name="name"/> is not a valid schedule name, else null.</summary>
    public static string? CheckName(string? name) =>
        name is not null && NamePattern().IsMatch(name)
            ? null
            : $"name must be 1 to {MaxNameLength} letters A-Z and a-z, digits and . _ -";

    /// <summary>
    /// Parses a cron expression of 5 fields (minute, hour, day of month, month, day of week) or
    /// 6 fields (second first), as Cronos 0.13 reads them. Returns null with a message when it is invalid
    /// or never matches a time.
    /// </summary>
    public static CronExpression? ParseCron(string? cron, out string? error)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            error = "cron is required, for example '0 3 * * *' (03:00 every day) or '*/10 * * * * *' (every 10 seconds).";
            return null;
        }

        if (cron.Length > MaxCronLength)
        {
            error = $"cron must be at most {MaxCronLength} characters.";
            return null;
        }

        var fields = cron.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6) && !cron.TrimStart().StartsWith('@'))
        {
            error = $"cron must have 5 fields (minute hour day-of-month month day-of-week) or 6 (second first); it has {fields}.";
            return null;
        }

        if (fields is 5 or 6 && FindReversedRange(cron, fields == 6) is { } reversed)
        {
            error = reversed;
            return null;
        }

        CronExpression expression;
        try
        {
            expression = CronExpression.Parse(cron.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException exception)
        {
            error = $"cron is not a valid cron expression: {exception.Message}";
            return null;
        }
        catch (MissingSeedException)
        {
            error = "cron must not use H (hashed values); write the value itself.";
            return null;
        }

        if (expression.GetNextOccurrence(DateTimeOffset.UtcNow, TimeZoneInfo.Utc) is null)
        {
            error = "cron never matches a time (for example 30 February).";
            return null;
        }

        error = null;
        return expression;
    }

    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

    // The fields of a 6-field expression, seconds first. A 5-field expression starts at the
    // minutes. Highest is the last value a range may end on (6, Saturday, for the days of the week).
    private static readonly CronField[] Fields =
    [
        new("second", 0, 59, null),
        new("minute", 0, 59, null),
        new("hour", 0, 23, null),
        new("day of month", 1, 31, null),
        new("month", 1, 12, MonthNames),
        new("day of week", 0, 6, DayNames),
    ];

    // A range whose start is after its end, such as 22-2 for the hours, is rejected, because cron
    // implementations disagree on it: some wrap around the end of the field, some match nothing,
    // some match every value. The message names the field and shows two ranges that match the
    // same times without wrapping.
    private static string? FindReversedRange(string cron, bool withSeconds)
    {
        var values = cron.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var fields = Fields.AsSpan(withSeconds ? 0 : 1);
        for (var index = 0; index < values.Length; index++)
        {
            var field = fields[index];
            foreach (var part in values[index].Split(','))
            {
                var range = part.Split('/')[0].Split('-');
                if (range.Length != 2
                    || field.ValueOf(range[0]) is not { } start
                    || field.ValueOf(range[1]) is not { } end
                    || start <= end)
                {
                    continue;
                }

                var named = !char.IsAsciiDigit(range[0][0]);
                return $"cron's {field.Name} range {range[0]}-{range[1]} starts after it ends. Write it as two ranges " +
                    $"that do not wrap, such as {range[0]}-{field.Write(field.Highest, named)},{field.Write(field.Lowest, named)}-{range[1]}.";
            }
        }

        return null;
    }

    // One field of a cron expression: its name in messages, its range, and the names its values
    // may have (months from 1 for JAN, days of the week from 0 for SUN).
    private sealed record CronField(string Name, int Lowest, int Highest, string[]? ValueNames)
    {
        // Returns the number that a range end is: digits, or one of the field's value names. Null
        // for anything else, which the cron parser then checks.
        public int? ValueOf(string text)
        {
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
            {
                return number;
            }

            var index = ValueNames is null ? -1 : Array.FindIndex(ValueNames, name => name.Equals(text, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                return null;
            }

            return index + Lowest;
        }

        public string Write(int value, bool named) =>
            named && ValueNames is not null
                ? ValueNames[value - Lowest]
                : value.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Finds an IANA time zone such as <c>Europe/Berlin</c> or <c>UTC</c>. Returns null with a
    /// message when it is unknown or a Windows name.
    /// </summary>
    public static TimeZoneInfo? FindTimeZone(string? id, out string? error)
    {
        if (string.IsNullOrEmpty(id) || id.Length > MaxTimeZoneLength || !TimeZonePattern().IsMatch(id) || id.Contains("..", StringComparison.Ordinal))
        {
            error = "time_zone must be an IANA time zone name such as Europe/Berlin, America/New_York or UTC.";
            return null;
        }

        if (!TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) || !zone.HasIanaId)
        {
            error = TimeZoneInfo.TryConvertWindowsIdToIanaId(id, out var iana)
                ? $"time_zone '{id}' is a Windows name; use the IANA name '{iana}'."
                : $"time_zone '{id}' is not a known IANA time zone, such as Europe/Berlin, America/New_York or UTC.";
            return null;
        }

        error = null;
        return zone;
    }

    /// <summary>Returns a message when <paramref name="limit"/> is out of range, else null.</summary>
    public static string? CheckCatchUpLimit(int limit) =>
        limit is >= 1 and <= MaxCatchUpLimit ? null : $"catch_up_limit must be between 1 and {MaxCatchUpLimit}.";

    /// <summary>
    /// Checks a job template read from configuration, with the API's limits for jobs. Returns
    /// each failure with its field, such as <c>job.kind</c>. The API checks templates with its
    /// own enqueue rules instead, which also inspect the arguments' nesting and size.
    /// </summary>
    public static IReadOnlyList<(string Field, string Message)> CheckTemplate(ScheduleJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var failures = new List<(string, string)>();
        if (string.IsNullOrEmpty(job.Kind) || job.Kind.Length > 255 || job.Kind.Any(char.IsControl))
        {
            failures.Add(("job.kind", "job.kind is required: 1 to 255 characters without control characters."));
        }

        if (job.Queue is not null && !QueuePattern().IsMatch(job.Queue))
        {
            failures.Add(("job.queue", "job.queue must be 1 to 128 letters A-Z and a-z, digits and . _ -"));
        }

        if (job.Priority is < short.MinValue or > short.MaxValue)
        {
            failures.Add(("job.priority", $"job.priority must be between {short.MinValue} and {short.MaxValue}."));
        }

        if (job.MaxAttempts is < 1 or > 1000)
        {
            failures.Add(("job.max_attempts", "job.max_attempts must be between 1 and 1000."));
        }

        if (job.TimeoutSeconds is <= 0 or > 86_400)
        {
            failures.Add(("job.timeout_seconds", "job.timeout_seconds must be greater than 0 and at most 86400 (one day)."));
        }

        if (job.Tags is { } tags)
        {
            if (tags.Count > MaxTemplateTags)
            {
                failures.Add(("job.tags", $"job.tags may hold at most {MaxTemplateTags} tags; the scheduler adds one more."));
            }

            if (tags.Any(tag => string.IsNullOrEmpty(tag) || tag.Length > 128 || tag.Contains('\0', StringComparison.Ordinal)))
            {
                failures.Add(("job.tags", "A tag must be 1 to 128 characters without U+0000."));
            }
        }

        return failures;
    }

    // \z rather than $, which in .NET also matches before a final line feed.
    [GeneratedRegex("^[A-Za-z0-9._-]{1,100}\\z")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}\\z")]
    private static partial Regex QueuePattern();

    [GeneratedRegex("^[A-Za-z0-9_+/-]+\\z")]
    private static partial Regex TimeZonePattern();
}
