using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobQueue.Api.Json;

/// <summary>
/// Reads ISO 8601 times only when they carry <c>Z</c> or a <c>±hh:mm</c> offset. System.Text.Json
/// reads <c>2026-12-04T10:00:00</c> as the server's local time by default, which would make a job's
/// run time depend on where the server runs.
/// </summary>
public sealed class OffsetRequiredDateTimeOffsetConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("Expected a date-time string such as \"2026-12-04T10:00:00Z\".");
        }

        var text = reader.GetString() ?? "";
        if (!HasOffset(text) || !reader.TryGetDateTimeOffset(out var value))
        {
            throw new OffsetMissingException(
                "Expected an ISO 8601 date-time with 'Z' or a UTC offset such as \"2026-12-04T10:00:00Z\" or \"2026-12-04T10:00:00+01:00\".");
        }

        return value;
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.ToString("O", CultureInfo.InvariantCulture));
    }

    private static bool HasOffset(string text)
    {
        if (text.Length < 11 || !text.Contains('T', StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (text[^1] is 'Z' or 'z')
        {
            return true;
        }

        // ±hh:mm at the end; the '-' of the date part is earlier, so it cannot match here.
        return text.Length >= 6 && text[^6] is '+' or '-' && text[^3] == ':';
    }
}

/// <summary>
/// A well-formed date-time string without a UTC offset: well-formed JSON of the right type but
/// an invalid value, so it gets a validation-failed response rather than a malformed-request one.
/// </summary>
public sealed class OffsetMissingException : JsonException
{
    public OffsetMissingException()
    {
    }

    public OffsetMissingException(string message)
        : base(message)
    {
    }

    public OffsetMissingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
