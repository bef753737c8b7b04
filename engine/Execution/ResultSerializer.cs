using System.Text;
using System.Text.Json;
using JobQueue.Engine.Options;
using Microsoft.Extensions.Options;

namespace JobQueue.Engine.Execution;

/// <summary>Turns what a handler or webhook returned into the JSON stored as the job's result, bounded in size.</summary>
public sealed class ResultSerializer(IOptions<WorkerOptions> options)
{
    private static readonly JsonSerializerOptions SerializerOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>Serializes a handler's return value; null stays null.</summary>
    public string? FromObject(object? value) =>
        value is null ? null : Bound(JsonSerializer.Serialize(value, SerializerOptions));

    /// <summary>
    /// Stores a JSON response body as it is, and any other non-empty body as a JSON string;
    /// an empty body gives no result.
    /// </summary>
    public string? FromBody(string body, bool truncated)
    {
        if (body.Length == 0)
        {
            return null;
        }

        if (!truncated)
        {
            try
            {
                using var document = JsonDocument.Parse(body);
                return Bound(body);
            }
            catch (JsonException)
            {
                // Not JSON: stored as a string below.
            }
        }

        return Bound(JsonSerializer.Serialize(body, SerializerOptions));
    }

    private string Bound(string json)
    {
        var limit = options.Value.MaxResultBytes;
        var size = Encoding.UTF8.GetByteCount(json);
        if (size <= limit)
        {
            // jsonb rejects U+0000 even when escaped, so it is replaced in stored results.
            return json.Contains("\\u0000", StringComparison.Ordinal) ? json.Replace("\\u0000", "\\uFFFD", StringComparison.Ordinal) : json;
        }

        var prefix = json[..Math.Min(json.Length, limit / 2)].Replace('\0', '\uFFFD');
        return JsonSerializer.Serialize(new { truncated = true, size_bytes = size, limit_bytes = limit, prefix }, SerializerOptions);
    }
}
