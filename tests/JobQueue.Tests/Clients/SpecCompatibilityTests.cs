using System.Text.Json.Nodes;
using JobQueue.Tests.Infrastructure;
using NSwag;

namespace JobQueue.Tests.Clients;

/// <summary>
/// Fails when openapi.yaml breaks clients generated from the last released document,
/// openapi.released.yaml. See <see cref="OpenApiCompatibility"/> for what counts as breaking.
/// </summary>
/// <remarks>
/// Releasing: when a version ships, copy the current document over the released one from the
/// repository root, <c>cp openapi.yaml openapi.released.yaml</c>, and commit it with the release.
/// A breaking change that is meant to ship belongs in a new major version of the API (a new path
/// prefix such as <c>/v2</c>), which leaves the released operations in place.
/// </remarks>
public sealed class SpecCompatibilityTests
{
    private static readonly Lazy<Task<JsonObject>> Current = new(() => ReadAsync("openapi.yaml"));
    private static readonly Lazy<Task<JsonObject>> Released = new(() => ReadAsync("openapi.released.yaml"));

    /// <summary>Changes that must each be reported, by name, with a phrase the report must contain.</summary>
    private static readonly Dictionary<string, (Action<JsonObject> Change, string Expected)> BreakingChanges = new()
    {
        ["renamed operationId"] = (d => Operation(d, "/v1/jobs/{id}", "get")["operationId"] = "fetchJob",
            "GET /v1/jobs/{id}: operationId changed from 'getJob' to 'fetchJob'"),
        ["removed operationId"] = (d => Operation(d, "/v1/jobs/{id}", "get").Remove("operationId"),
            "GET /v1/jobs/{id}: operationId 'getJob' was removed"),
        ["removed response property"] = (d => Properties(d, "Job").Remove("state"), "Job.state was removed"),
        ["removed enum value"] = (d => Schema(d, "JobState")["enum"]!.AsArray().RemoveAt(6),
            "JobState: enum value \"discarded\" was removed"),
        ["changed enum value"] = (d => Schema(d, "JobState")["enum"]!.AsArray()[0] = "waiting",
            "JobState: enum value \"scheduled\" was removed"),
        ["removed path"] = (d => d["paths"]!.AsObject().Remove("/v1/processes"), "path /v1/processes was removed"),
        ["removed operation"] = (d => d["paths"]!["/v1/jobs"]!.AsObject().Remove("get"), "GET /v1/jobs was removed"),
        ["removed schema"] = (d => d["components"]!["schemas"]!.AsObject().Remove("JobError"), "schema JobError was removed"),
        ["newly required request property"] = (d => Schema(d, "EnqueueJobRequest")["required"]!.AsArray().Add("queue"),
            "EnqueueJobRequest.queue is newly required"),
        ["newly required parameter"] = (d => Parameter(d, "/v1/jobs", "get", "page_size")["required"] = true,
            "GET /v1/jobs: parameter page_size in query is newly required"),
        ["changed property type"] = (d => Properties(d, "Job")["priority"] = new JsonObject { ["type"] = "string" },
            "Job.priority: type changed from integer (int32) to string"),
        ["changed reference"] = (d => Properties(d, "Job")["state"] = new JsonObject { ["type"] = "string" },
            "Job.state: type changed from JobState to string"),
        ["removed success status"] = (d => Operation(d, "/v1/jobs", "post")["responses"]!.AsObject().Remove("201"),
            "POST /v1/jobs: success status 201 was removed"),
        ["changed nullable reference"] = (d => Properties(d, "Job")["concurrency"]!["oneOf"]![0]!["$ref"] = "#/components/schemas/RateLimitSpec",
            "Job.concurrency: type changed from ConcurrencyLimitSpec to RateLimitSpec"),
        ["response property made nullable"] = (d => Properties(d, "Job")["kind"]!["nullable"] = true, "Job.kind may now be null"),
    };

    /// <summary>Additive changes that must not be reported.</summary>
    private static readonly Dictionary<string, Action<JsonObject>> AdditiveChanges = new()
    {
        ["new optional request property"] = d => Properties(d, "EnqueueJobRequest")["unique_key"] =
            new JsonObject { ["type"] = "string", ["nullable"] = true },
        ["new response property"] = d => Properties(d, "Job")["unique_key"] = new JsonObject { ["type"] = "string" },
        ["new path"] = d => d["paths"]!["/v1/jobs/{id}/events"] = new JsonObject
        {
            ["get"] = new JsonObject
            {
                ["operationId"] = "listJobEvents",
                ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "The events." } },
            },
        },
        ["new optional parameter"] = d => Operation(d, "/v1/jobs", "get")["parameters"]!.AsArray().Add(new JsonObject
        {
            ["name"] = "created_after",
            ["in"] = "query",
            ["schema"] = new JsonObject { ["type"] = "string", ["format"] = "date-time" },
        }),
        ["new error status"] = d => Operation(d, "/v1/queues", "get")["responses"]!["429"] = new JsonObject { ["description"] = "Slow down." },
        ["request property no longer required"] = d => Schema(d, "EnqueueBatchRequest").Remove("required"),
    };

    public static TheoryData<string> BreakingChangeNames() => [.. BreakingChanges.Keys];

    public static TheoryData<string> AdditiveChangeNames() => [.. AdditiveChanges.Keys];

    [Fact]
    public async Task Current_spec_keeps_released_operations_and_types()
    {
        var changes = OpenApiCompatibility.FindBreakingChanges(await Released.Value, await Current.Value);

        Assert.True(changes.Count == 0,
            "openapi.yaml breaks clients of openapi.released.yaml:\n  " + string.Join("\n  ", changes) +
            "\nKeep the released operations and members, or add the change under a new major version.");
    }

    [Fact]
    public async Task Identical_documents_have_no_breaking_changes()
    {
        var document = await Current.Value;

        Assert.Empty(OpenApiCompatibility.FindBreakingChanges(document, (JsonObject)document.DeepClone()));
    }

    [Theory]
    [MemberData(nameof(BreakingChangeNames))]
    public async Task Breaking_change_is_reported(string name)
    {
        var (change, expected) = BreakingChanges[name];
        var released = await Current.Value;
        var changed = (JsonObject)released.DeepClone();
        change(changed);

        var changes = OpenApiCompatibility.FindBreakingChanges(released, changed);

        Assert.True(changes.Contains(expected), $"Expected \"{expected}\" among: [{string.Join("; ", changes)}]");
    }

    [Theory]
    [MemberData(nameof(AdditiveChangeNames))]
    public async Task Additive_change_is_not_reported(string name)
    {
        var released = await Current.Value;
        var changed = (JsonObject)released.DeepClone();
        AdditiveChanges[name](changed);

        var changes = OpenApiCompatibility.FindBreakingChanges(released, changed);

        Assert.True(changes.Count == 0, $"{name} was reported as breaking: [{string.Join("; ", changes)}]");
    }

    /// <summary>Reads a YAML document from the repository root as JSON, through NSwag's reader.</summary>
    private static async Task<JsonObject> ReadAsync(string fileName)
    {
        var path = Path.Combine(RepositoryRoot.Path, fileName);
        Assert.True(File.Exists(path), $"{path} is missing.");
        var document = await OpenApiYamlDocument.FromFileAsync(path);
        return JsonNode.Parse(document.ToJson())!.AsObject();
    }

    private static JsonObject Operation(JsonObject document, string path, string method) =>
        document["paths"]![path]![method]!.AsObject();

    private static JsonObject Schema(JsonObject document, string name) => document["components"]!["schemas"]![name]!.AsObject();

    private static JsonObject Properties(JsonObject document, string schema) => Schema(document, schema)["properties"]!.AsObject();

    private static JsonObject Parameter(JsonObject document, string path, string method, string name) =>
        Operation(document, path, method)["parameters"]!.AsArray().OfType<JsonObject>().Single(p => (string?)p["name"] == name);
}
