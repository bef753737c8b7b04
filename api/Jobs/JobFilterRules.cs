using System.Text.Json;

namespace JobQueue.Api.Jobs;

/// <summary>Checks of filter values shared by the query filters and the bulk action's body.</summary>
public static class JobFilterRules
{
    /// <summary>Longest error text to search for.</summary>
    public const int MaxErrorTextLength = 200;

    /// <summary>Longest args filter, as JSON text.</summary>
    public const int MaxArgsLength = 4096;

    public const string ErrorTextMessage =
        "error must be 1 to 200 characters without control characters or unpaired surrogates.";

    public static bool IsStorableText(string? value) =>
        value is null || (!TextRules.HasControlCharacter(value) && TextRules.IsWellFormedUtf16(value));

    public static bool IsValidErrorText(string? value) =>
        value is null || (value.Length is > 0 and <= MaxErrorTextLength && IsStorableText(value));

    /// <summary>Returns why <paramref name="json"/> cannot be an args filter, or null when it can.</summary>
    public static string? ArgsProblem(string json)
    {
        if (json.Length > MaxArgsLength)
        {
            return $"args must be at most {MaxArgsLength} characters of JSON.";
        }

        try
        {
            // PostgreSQL keeps only the last copy of a property given twice, so such a filter is
            // rejected rather than matched on a value the caller may not have meant.
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32, AllowDuplicateProperties = false });
            return ArgsProblem(document.RootElement);
        }
        catch (JsonException)
        {
            return IsJsonWithDuplicates(json)
                ? "args must not name a property twice in the same object."
                : "args must be a JSON object, such as {\"customer_id\":42}.";
        }
    }

    // Returns whether the text parses once duplicate properties are allowed, that is, whether a
    // duplicate was the only problem.
    private static bool IsJsonWithDuplicates(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Returns why <paramref name="args"/> cannot be an args filter, or null when it can.</summary>
    public static string? ArgsProblem(JsonElement args)
    {
        if (args.ValueKind != JsonValueKind.Object)
        {
            return "args must be a JSON object, such as {\"customer_id\":42}.";
        }

        // The same values that enqueue rejects (U+0000, lone surrogates, numbers jsonb cannot hold)
        // would fail in the database here too.
        var invalid = ArgsInspector.FindInvalidValues(args, "args");
        return invalid.Count == 0 ? null : $"{invalid[0].Path} {invalid[0].Message}";
    }
}
