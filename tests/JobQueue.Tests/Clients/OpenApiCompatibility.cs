using System.Text.Json.Nodes;

namespace JobQueue.Tests.Clients;

/// <summary>
/// Finds the changes between two OpenAPI 3.0 documents that break a client generated from the
/// older one. Breaking are a removed path, operation, success status, schema, property or enum
/// value, and a changed or removed operationId. So are a changed type, a request property or
/// parameter that became required, and a response property that became nullable. Additions
/// (new paths, operations, optional properties, error statuses) are not breaking.
/// </summary>
public static class OpenApiCompatibility
{
    private const string SchemaRefPrefix = "#/components/schemas/";
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    /// <summary>Where a component schema is used, which decides whether a newly required or nullable member breaks.</summary>
    [Flags]
    private enum Usage
    {
        Request = 1,
        Response = 2,
    }

    /// <summary>Lists each breaking change from <paramref name="released"/> to <paramref name="current"/>, one sentence each.</summary>
    public static IReadOnlyList<string> FindBreakingChanges(JsonObject released, JsonObject current)
    {
        ArgumentNullException.ThrowIfNull(released);
        ArgumentNullException.ThrowIfNull(current);
        var comparison = new Comparison(released, current);
        comparison.ComparePaths();
        comparison.CompareComponentSchemas();
        return comparison.Changes;
    }

    private sealed class Comparison(JsonObject released, JsonObject current)
    {
        private readonly Dictionary<string, Usage> _usage = MergeUsage(FindUsage(released), FindUsage(current));

        public List<string> Changes { get; } = [];

        public void ComparePaths()
        {
            var currentPaths = current["paths"] as JsonObject;
            foreach (var (path, releasedItem) in Entries(released["paths"]))
            {
                if (currentPaths?[path] is not JsonObject currentItem)
                {
                    Changes.Add($"path {path} was removed");
                    continue;
                }

                foreach (var method in Methods)
                {
                    if (releasedItem[method] is not JsonObject releasedOperation)
                    {
                        continue;
                    }

                    var label = $"{method.ToUpperInvariant()} {path}";
                    if (currentItem[method] is not JsonObject currentOperation)
                    {
                        Changes.Add($"{label} was removed");
                        continue;
                    }

                    CompareOperationId(label, releasedOperation, currentOperation);
                    CompareParameters(label, Parameters(releasedItem, releasedOperation), Parameters(currentItem, currentOperation));
                    CompareRequestBody(label, releasedOperation["requestBody"] as JsonObject, currentOperation["requestBody"] as JsonObject);
                    CompareResponses(label, releasedOperation["responses"] as JsonObject, currentOperation["responses"] as JsonObject);
                }
            }
        }

        public void CompareComponentSchemas()
        {
            var currentSchemas = current["components"]?["schemas"] as JsonObject;
            foreach (var (name, releasedSchema) in Entries(released["components"]?["schemas"]))
            {
                if (currentSchemas?[name] is not JsonObject currentSchema)
                {
                    Changes.Add($"schema {name} was removed");
                    continue;
                }

                // A schema that no operation references is treated as used both ways.
                var usage = _usage.GetValueOrDefault(name, Usage.Request | Usage.Response);
                CompareSchema(name, releasedSchema, currentSchema, usage);
            }
        }

        private void CompareOperationId(string label, JsonObject releasedOperation, JsonObject currentOperation)
        {
            var releasedId = (string?)releasedOperation["operationId"];
            var currentId = (string?)currentOperation["operationId"];
            if (releasedId is null || releasedId == currentId)
            {
                return;
            }

            Changes.Add(currentId is null
                ? $"{label}: operationId '{releasedId}' was removed"
                : $"{label}: operationId changed from '{releasedId}' to '{currentId}'");
        }

        private void CompareParameters(string label, Dictionary<string, JsonObject> releasedParameters,
            Dictionary<string, JsonObject> currentParameters)
        {
            foreach (var (key, currentParameter) in currentParameters)
            {
                var isRequired = currentParameter["required"]?.GetValue<bool>() == true;
                var wasRequired = releasedParameters.TryGetValue(key, out var releasedParameter) &&
                    releasedParameter["required"]?.GetValue<bool>() == true;
                if (isRequired && !wasRequired)
                {
                    Changes.Add($"{label}: parameter {key} is newly required");
                }
            }

            foreach (var (key, releasedParameter) in releasedParameters)
            {
                if (!currentParameters.TryGetValue(key, out var currentParameter))
                {
                    Changes.Add($"{label}: parameter {key} was removed");
                    continue;
                }

                CompareSchema($"{label} parameter {key}", releasedParameter["schema"] as JsonObject,
                    currentParameter["schema"] as JsonObject, Usage.Request);
            }
        }

        private void CompareRequestBody(string label, JsonObject? releasedBody, JsonObject? currentBody)
        {
            if (currentBody is null)
            {
                // A body the server no longer reads is ignored, so clients that send it still work.
                return;
            }

            if (releasedBody is null)
            {
                if (currentBody["required"]?.GetValue<bool>() == true)
                {
                    Changes.Add($"{label}: a request body is newly required");
                }

                return;
            }

            foreach (var (mediaType, releasedContent) in Entries(releasedBody["content"]))
            {
                if (currentBody["content"]?[mediaType] is not JsonObject currentContent)
                {
                    Changes.Add($"{label}: request body type {mediaType} is no longer accepted");
                    continue;
                }

                CompareSchema($"{label} request body", releasedContent["schema"] as JsonObject,
                    currentContent["schema"] as JsonObject, Usage.Request);
            }
        }

        private void CompareResponses(string label, JsonObject? releasedResponses, JsonObject? currentResponses)
        {
            foreach (var (status, releasedResponse) in Entries(releasedResponses))
            {
                if (!status.StartsWith('2'))
                {
                    continue;
                }

                if (currentResponses?[status] is not JsonObject currentResponse)
                {
                    Changes.Add($"{label}: success status {status} was removed");
                    continue;
                }

                foreach (var (mediaType, releasedContent) in Entries(releasedResponse["content"]))
                {
                    if (currentResponse["content"]?[mediaType] is not JsonObject currentContent)
                    {
                        Changes.Add($"{label}: response {status} no longer has a {mediaType} body");
                        continue;
                    }

                    CompareSchema($"{label} response {status}", releasedContent["schema"] as JsonObject,
                        currentContent["schema"] as JsonObject, Usage.Response);
                }
            }
        }

        private void CompareSchema(string label, JsonObject? releasedSchema, JsonObject? currentSchema, Usage usage)
        {
            if (releasedSchema is null)
            {
                return;
            }

            if (currentSchema is null)
            {
                Changes.Add($"{label}: schema was removed");
                return;
            }

            if (usage.HasFlag(Usage.Response) && releasedSchema["nullable"]?.GetValue<bool>() != true &&
                currentSchema["nullable"]?.GetValue<bool>() == true)
            {
                Changes.Add($"{label} may now be null");
            }

            releasedSchema = SingleComposedSchema(releasedSchema) ?? releasedSchema;
            currentSchema = SingleComposedSchema(currentSchema) ?? currentSchema;
            var releasedRef = (string?)releasedSchema["$ref"];
            var currentRef = (string?)currentSchema["$ref"];
            if (releasedRef is not null || currentRef is not null)
            {
                // Referenced schemas are compared once, by name, in CompareComponentSchemas.
                if (releasedRef != currentRef)
                {
                    Changes.Add($"{label}: type changed from {Describe(releasedSchema)} to {Describe(currentSchema)}");
                }

                return;
            }

            var releasedType = (string?)releasedSchema["type"];
            var currentType = (string?)currentSchema["type"];
            var releasedFormat = (string?)releasedSchema["format"];
            var currentFormat = (string?)currentSchema["format"];
            if ((releasedType is not null && releasedType != currentType) ||
                (releasedFormat is not null && currentFormat is not null && releasedFormat != currentFormat))
            {
                Changes.Add($"{label}: type changed from {Describe(releasedSchema)} to {Describe(currentSchema)}");
                return;
            }

            CompareEnum(label, releasedSchema, currentSchema);

            var currentProperties = currentSchema["properties"] as JsonObject;
            foreach (var (name, releasedProperty) in Entries(releasedSchema["properties"]))
            {
                if (currentProperties?[name] is not JsonObject currentProperty)
                {
                    Changes.Add($"{label}.{name} was removed");
                    continue;
                }

                CompareSchema($"{label}.{name}", releasedProperty, currentProperty, usage);
            }

            if (usage.HasFlag(Usage.Request))
            {
                var wasRequired = Strings(releasedSchema["required"]);
                foreach (var name in Strings(currentSchema["required"]).Except(wasRequired))
                {
                    Changes.Add($"{label}.{name} is newly required");
                }
            }

            CompareSchema($"{label}[]", releasedSchema["items"] as JsonObject, currentSchema["items"] as JsonObject, usage);
            CompareSchema($"{label}{{}}", releasedSchema["additionalProperties"] as JsonObject,
                currentSchema["additionalProperties"] as JsonObject, usage);
        }

        // NOTE: an added enum value is not reported. A client generated with closed enums (NSwag's
        // C# enums) fails to read a response that carries a value it does not know, so a new
        // value in a response enum still needs a release note.
        private void CompareEnum(string label, JsonObject releasedSchema, JsonObject currentSchema)
        {
            if (releasedSchema["enum"] is not JsonArray releasedValues)
            {
                return;
            }

            var currentValues = (currentSchema["enum"] as JsonArray)?.Select(value => value?.ToJsonString()).ToHashSet();
            if (currentValues is null)
            {
                return;
            }

            foreach (var value in releasedValues.Select(value => value?.ToJsonString()).Where(value => !currentValues.Contains(value)))
            {
                Changes.Add($"{label}: enum value {value} was removed");
            }
        }
    }

    /// <summary>
    /// Returns the only member of a one-item <c>allOf</c>, <c>oneOf</c> or <c>anyOf</c>. NSwag writes a
    /// nullable reference as <c>nullable: true</c> beside <c>oneOf: [$ref]</c>.
    /// </summary>
    private static JsonObject? SingleComposedSchema(JsonObject schema)
    {
        if (schema["$ref"] is not null)
        {
            return null;
        }

        foreach (var keyword in new[] { "allOf", "oneOf", "anyOf" })
        {
            if (schema[keyword] is JsonArray { Count: 1 } members && members[0] is JsonObject member)
            {
                return member;
            }
        }

        return null;
    }

    /// <summary>Parameters of an operation with those of its path item, keyed as <c>name in location</c>.</summary>
    private static Dictionary<string, JsonObject> Parameters(JsonObject pathItem, JsonObject operation)
    {
        var parameters = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var parameter in Objects(pathItem["parameters"]).Concat(Objects(operation["parameters"])))
        {
            parameters[$"{(string?)parameter["name"]} in {(string?)parameter["in"]}"] = parameter;
        }

        return parameters;
    }

    private static Dictionary<string, Usage> FindUsage(JsonObject document)
    {
        var schemas = document["components"]?["schemas"] as JsonObject;
        var request = new HashSet<string>(StringComparer.Ordinal);
        var response = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (_, pathItem) in Entries(document["paths"]))
        {
            CollectReferences(pathItem["parameters"], schemas, request);
            foreach (var method in Methods)
            {
                if (pathItem[method] is JsonObject operation)
                {
                    CollectReferences(operation["parameters"], schemas, request);
                    CollectReferences(operation["requestBody"], schemas, request);
                    CollectReferences(operation["responses"], schemas, response);
                }
            }
        }

        var usage = new Dictionary<string, Usage>(StringComparer.Ordinal);
        foreach (var name in request)
        {
            usage[name] = Usage.Request;
        }

        foreach (var name in response)
        {
            usage[name] = usage.GetValueOrDefault(name) | Usage.Response;
        }

        return usage;
    }

    private static Dictionary<string, Usage> MergeUsage(Dictionary<string, Usage> first, Dictionary<string, Usage> second)
    {
        var merged = new Dictionary<string, Usage>(first, StringComparer.Ordinal);
        foreach (var (name, usage) in second)
        {
            merged[name] = merged.GetValueOrDefault(name) | usage;
        }

        return merged;
    }

    /// <summary>Adds the name of every component schema that <paramref name="node"/> references, directly or through other schemas.</summary>
    private static void CollectReferences(JsonNode? node, JsonObject? schemas, HashSet<string> names)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref" && value is JsonValue reference && ((string?)reference)?.StartsWith(SchemaRefPrefix, StringComparison.Ordinal) == true)
                    {
                        var name = ((string)reference!)[SchemaRefPrefix.Length..];
                        if (names.Add(name))
                        {
                            CollectReferences(schemas?[name], schemas, names);
                        }
                    }
                    else
                    {
                        CollectReferences(value, schemas, names);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    CollectReferences(item, schemas, names);
                }

                break;
        }
    }

    private static string Describe(JsonObject schema)
    {
        if ((string?)schema["$ref"] is { } reference)
        {
            return reference.StartsWith(SchemaRefPrefix, StringComparison.Ordinal) ? reference[SchemaRefPrefix.Length..] : reference;
        }

        var type = (string?)schema["type"] ?? "any";
        return schema["format"] is null ? type : $"{type} ({(string?)schema["format"]})";
    }

    private static List<(string Name, JsonObject Value)> Entries(JsonNode? node) =>
        node is JsonObject obj
            ? [.. obj.Where(entry => entry.Value is JsonObject).Select(entry => (entry.Key, (JsonObject)entry.Value!))]
            : [];

    private static IEnumerable<JsonObject> Objects(JsonNode? node) =>
        node is JsonArray array ? array.OfType<JsonObject>() : [];

    private static HashSet<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(value => (string?)value).OfType<string>().ToHashSet(StringComparer.Ordinal) : [];
}
