using System.Security.Cryptography;
using System.Text.Json;

namespace JobQueue.Api.Jobs;

/// <summary>
/// SHA-256 of the canonical form of a request body: the parsed request serialized again with
/// every object's members sorted by name and no whitespace. Member order, whitespace and an
/// omitted member versus an explicit null therefore do not change it; a different value does,
/// including a number written differently (<c>1</c> versus <c>1.0</c>).
/// </summary>
internal static class RequestFingerprint
{
    public static byte[] Compute<T>(T request, JsonSerializerOptions options)
    {
        var element = JsonSerializer.SerializeToElement(request, options);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteCanonical(element, writer);
        }

        return SHA256.HashData(buffer.ToArray());
    }

    private static void WriteCanonical(JsonElement element, Utf8JsonWriter writer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(property.Value, writer);
                }

                writer.WriteEndObject();
                break;

            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(item, writer);
                }

                writer.WriteEndArray();
                break;

            default:
                element.WriteTo(writer);
                break;
        }
    }
}
