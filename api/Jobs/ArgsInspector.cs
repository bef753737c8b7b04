using System.Globalization;
using System.Text.Json;

namespace JobQueue.Api.Jobs;

/// <summary>
/// Finds the parts of a job's <c>args</c> that PostgreSQL's <c>jsonb</c> rejects, so the request
/// fails with a 400 naming the value instead of a database error: strings and property names
/// with U+0000 or a lone surrogate escape, and numbers beyond the range of <c>numeric</c>.
/// </summary>
public static class ArgsInspector
{
    /// <summary>Longest number literal accepted, in characters.</summary>
    public const int MaxNumberLength = 1000;

    /// <summary>
    /// Largest absolute exponent accepted. Together with <see cref="MaxNumberLength"/> it keeps a
    /// number well inside <c>numeric</c> (131072 digits before the point, 16383 after), which
    /// rejects <c>1e-20000</c> and <c>1e131072</c> (checked on PostgreSQL 15).
    /// </summary>
    public const int MaxExponent = 1000;

    /// <summary>
    /// Deepest nesting of objects and arrays accepted in args, counting args itself as level 1.
    /// Stored values are read back with System.Text.Json's default depth limit of 64, so args
    /// deeper than that could be stored but never read.
    /// </summary>
    public const int MaxDepth = 32;

    /// <summary>Most problems reported for one args value, so a huge bad value gives a short response.</summary>
    private const int MaxReported = 10;

    /// <summary>Returns (path, message) for each rejected value, at most 10, with paths such as <c>args.a.b[2]</c>.</summary>
    public static IReadOnlyList<(string Path, string Message)> FindInvalidValues(JsonElement args, string rootPath)
    {
        var found = new List<(string, string)>();
        Walk(args, rootPath, 1, found);
        return found;
    }

    /// <summary>Returns the compact UTF-8 JSON that is stored, without the request's whitespace.</summary>
    public static byte[] ToCompactJson(JsonElement args)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            args.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    private static void Walk(JsonElement element, string path, int depth, List<(string, string)> found)
    {
        if (found.Count >= MaxReported)
        {
            return;
        }

        if (depth > MaxDepth && element.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
        {
            found.Add((path, $"The value is nested too deep: args may nest objects and arrays at most {MaxDepth} levels."));
            return;
        }

        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var name = ReadName(property, out var nameProblem);
                    var childPath = path + "." + (name ?? "?");
                    if (nameProblem is not null)
                    {
                        found.Add((childPath, "The property name " + nameProblem));
                        continue;
                    }

                    Walk(property.Value, childPath, depth + 1, found);
                }

                break;

            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Walk(item, path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]", depth + 1, found);
                    index++;
                }

                break;

            case JsonValueKind.String:
                var stringProblem = CheckText(ReadString(element));
                if (stringProblem is not null)
                {
                    found.Add((path, "The string " + stringProblem));
                }

                break;

            case JsonValueKind.Number:
                if (!IsStorableNumber(element.GetRawText()))
                {
                    found.Add((path, $"The number is out of range: it may have at most {MaxNumberLength} " +
                        $"characters and an exponent between -{MaxExponent} and {MaxExponent}."));
                }

                break;

            default:
                break;
        }
    }

    private static string? ReadName(JsonProperty property, out string? problem)
    {
        try
        {
            var name = property.Name;
            problem = CheckText(name);
            return problem is null ? name : name.Replace("\0", "\\u0000", StringComparison.Ordinal);
        }
        catch (InvalidOperationException)
        {
            problem = LoneSurrogate;
            return null;
        }
    }

    private static string? ReadString(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json raises this when an escape decodes to invalid UTF-16.
            return null;
        }
    }

    private const string LoneSurrogate = "contains an unpaired surrogate escape such as \\ud800, which is not valid Unicode.";

    private static string? CheckText(string? text)
    {
        if (text is null)
        {
            return LoneSurrogate;
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            return "contains U+0000 (\\u0000), which PostgreSQL jsonb cannot store.";
        }

        return TextRules.IsWellFormedUtf16(text) ? null : LoneSurrogate;
    }

    private static bool IsStorableNumber(string raw)
    {
        if (raw.Length > MaxNumberLength)
        {
            return false;
        }

        var exponentStart = raw.IndexOfAny(['e', 'E']);
        if (exponentStart < 0)
        {
            return true;
        }

        // An exponent of more than 6 characters is beyond ±1000 anyway, and the length check keeps
        // long.TryParse away from overflow.
        var exponent = raw.AsSpan(exponentStart + 1);
        return exponent.Length <= 6
            && long.TryParse(exponent, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            && Math.Abs(value) <= MaxExponent;
    }
}

/// <summary>Checks shared by every text field of a job.</summary>
public static class TextRules
{
    /// <summary>True when every surrogate is part of a pair, so the text encodes to UTF-8.</summary>
    public static bool IsWellFormedUtf16(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    public static bool HasControlCharacter(string text) => text.Any(char.IsControl);
}
