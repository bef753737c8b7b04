using System.Reflection;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace JobQueue.Client;

/// <summary>Hand-written part of the generated <see cref="JobQueueClient"/>: its JSON settings.</summary>
public partial class JobQueueClient
{
    /// <summary>
    /// Serializer options the client reads and writes with, for callers that store or send the
    /// generated types themselves.
    /// </summary>
    public static JsonSerializerOptions JsonOptions => _settings.Value;

    // NSwag 14.8 marks enum members with [EnumMember(Value = "scheduled")] and puts a
    // JsonStringEnumConverter on each enum property, but System.Text.Json ignores EnumMember, so
    // the client would write "Scheduled" where the API expects "scheduled". Reading is
    // case-insensitive and works either way. The modifier drops the converter of the property's
    // attribute, so the options' converter below applies, to nullable enum properties too.
    static partial void UpdateJsonSerializerSettings(JsonSerializerOptions settings)
    {
        settings.Converters.Add(new EnumMemberConverterFactory());
        settings.TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { DropEnumPropertyConverters } };
    }

    private static void DropEnumPropertyConverters(JsonTypeInfo typeInfo)
    {
        foreach (var property in typeInfo.Properties)
        {
            if ((Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType).IsEnum)
            {
                property.CustomConverter = null;
            }
        }
    }

    /// <summary>Reads and writes enums as strings named by their <see cref="EnumMemberAttribute"/> values.</summary>
    private sealed class EnumMemberConverterFactory : JsonConverterFactory
    {
        public override bool CanConvert(Type typeToConvert) => typeToConvert.IsEnum;

        public override JsonConverter? CreateConverter(Type typeToConvert, JsonSerializerOptions options)
        {
            var factoryType = typeof(JsonStringEnumConverter<>).MakeGenericType(typeToConvert);
            var factory = (JsonConverterFactory)Activator.CreateInstance(factoryType, new EnumMemberNamingPolicy(typeToConvert), false)!;
            return factory.CreateConverter(typeToConvert, options);
        }
    }

    /// <summary>Names each member of one enum type by its <see cref="EnumMemberAttribute"/> value.</summary>
    private sealed class EnumMemberNamingPolicy(Type enumType) : JsonNamingPolicy
    {
        public override string ConvertName(string name) =>
            enumType.GetField(name)?.GetCustomAttribute<EnumMemberAttribute>()?.Value ?? name;
    }
}
