using System.Reflection;
using System.Text.Json.Serialization;
using NJsonSchema;
using NJsonSchema.Generation;

namespace JobQueue.Api.OpenApi;

/// <summary>
/// Writes enum values as they appear on the wire. NJsonSchema 11.6 ignores
/// <see cref="JsonStringEnumMemberNameAttribute"/>, so <c>JobState</c> would otherwise list
/// <c>Scheduled</c> where the API sends <c>scheduled</c>.
/// </summary>
internal sealed class EnumMemberNameSchemaProcessor : ISchemaProcessor
{
    public void Process(SchemaProcessorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var type = context.ContextualType.Type;
        if (!type.IsEnum)
        {
            return;
        }

        var schema = context.Schema;
        schema.Type = JsonObjectType.String;
        schema.Format = null;
        schema.Enumeration.Clear();
        schema.EnumerationNames.Clear();
        foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            schema.Enumeration.Add(field.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? field.Name);
        }
    }
}
