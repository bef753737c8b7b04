using System.Collections;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using JobQueue.Client;

namespace JobQueue.Tests.Clients;

/// <summary>
/// Proves that the C# client generated from openapi.yaml agrees with the hand-written wire types
/// in contracts/. A contract object with every member set is serialized, read into the generated
/// type of the same name and written again, and must come out as the same JSON. A member that
/// the document lacks, names differently or types differently changes the JSON.
/// </summary>
public sealed class ContractRoundTripTests
{
    private static readonly Assembly ContractsAssembly = typeof(Contracts.Job).Assembly;
    private static readonly Assembly ClientAssembly = typeof(JobQueueClient).Assembly;
    private static readonly DateTimeOffset SampleTime = new(2026, 3, 4, 5, 6, 7, 890, TimeSpan.FromHours(1));

    /// <summary>Every public record in contracts/, found by reflection so that new ones are covered.</summary>
    public static TheoryData<string> ContractTypeNames()
    {
        var names = new TheoryData<string>();
        foreach (var name in WireRecordNames())
        {
            names.Add(name);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(ContractTypeNames))]
    public void Contract_type_round_trips_through_generated_type(string name)
    {
        var contractType = ContractsAssembly.GetType($"JobQueue.Contracts.{name}")!;
        var clientType = ClientAssembly.GetType($"JobQueue.Client.{name}");
        Assert.True(clientType is not null, $"The generated client has no type {name}; openapi.yaml has no schema of that name.");

        var contractJson = JsonSerializer.SerializeToNode(Fill(contractType, enumIndex: 1), contractType);
        AssertRoundTrip(name, contractJson, clientType);
    }

    [Fact]
    public void Every_job_state_round_trips_through_generated_job()
    {
        foreach (var state in Enum.GetValues<Contracts.JobState>())
        {
            var job = (Contracts.Job)Fill(typeof(Contracts.Job), enumIndex: 0)! with { State = state };
            var contractJson = JsonSerializer.SerializeToNode(job);

            AssertRoundTrip($"Job with state {state}", contractJson, typeof(Job));
        }
    }

    [Fact]
    public void Contracts_have_wire_records()
    {
        // Guards the reflection above: if it found nothing, the theory would pass vacuously.
        var names = WireRecordNames().ToList();

        Assert.Contains(nameof(Contracts.Job), names);
        Assert.Contains(nameof(Contracts.EnqueueJobRequest), names);
        Assert.True(names.Count >= 10, $"Found only {names.Count} wire records: {string.Join(", ", names)}");
    }

    private static void AssertRoundTrip(string name, JsonNode? contractJson, Type clientType)
    {
        var generated = contractJson.Deserialize(clientType, JobQueueClient.JsonOptions);
        var generatedJson = JsonSerializer.SerializeToNode(generated, clientType, JobQueueClient.JsonOptions);

        Assert.True(JsonNode.DeepEquals(contractJson, generatedJson),
            $"{name} changed in a round trip through the generated client.\n" +
            $"contracts/: {contractJson?.ToJsonString()}\ngenerated:  {generatedJson?.ToJsonString()}");
    }

    private static IEnumerable<string> WireRecordNames() =>
        ContractsAssembly.GetExportedTypes().Where(IsWireRecord).Select(type => type.Name).Order(StringComparer.Ordinal);

    private static bool IsWireRecord(Type type) =>
        type is { IsClass: true, IsAbstract: false } && type.Namespace == "JobQueue.Contracts" &&
        type.GetProperties().Any(property => property.IsDefined(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute)));

    /// <summary>
    /// Creates a value of <paramref name="type"/> with every member set to a value that is not
    /// the default, so a member that the round trip drops or resets shows in the JSON.
    /// </summary>
    private static object? Fill(Type type, int enumIndex, int depth = 0)
    {
        Assert.True(depth < 8, $"Contract types nest deeper than 8 levels at {type}; is there a cycle?");
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return "text";
        }

        if (type == typeof(int) || type == typeof(long) || type == typeof(short))
        {
            return Convert.ChangeType(7, type, System.Globalization.CultureInfo.InvariantCulture);
        }

        if (type == typeof(double))
        {
            return 2.5;
        }

        if (type == typeof(bool))
        {
            return true;
        }

        if (type == typeof(DateTimeOffset))
        {
            return SampleTime;
        }

        if (type == typeof(TimeSpan))
        {
            return TimeSpan.FromSeconds(90);
        }

        if (type == typeof(JsonElement))
        {
            return JsonSerializer.Deserialize<JsonElement>("""{"to": "ada@example.com", "n": [1, "two", null, {"deep": true}]}""");
        }

        if (type.IsEnum)
        {
            var values = Enum.GetValues(type);
            return values.GetValue(Math.Min(enumIndex, values.Length - 1));
        }

        if (type.IsGenericType && type.GetGenericArguments().Length == 2 && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var arguments = type.GetGenericArguments();
            var map = (IDictionary)Activator.CreateInstance(typeof(Dictionary<,>).MakeGenericType(arguments))!;
            map.Add(Fill(arguments[0], enumIndex, depth + 1)!, Fill(arguments[1], enumIndex, depth + 1));
            return map;
        }

        if (type.IsGenericType && typeof(IEnumerable).IsAssignableFrom(type))
        {
            var itemType = type.GetGenericArguments()[0];
            var list = (IList)Activator.CreateInstance(typeof(List<>).MakeGenericType(itemType))!;
            list.Add(Fill(itemType, enumIndex, depth + 1));
            return list;
        }

        var instance = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties().Where(property => property.CanWrite))
        {
            property.SetValue(instance, Fill(property.PropertyType, enumIndex, depth + 1));
        }

        return instance;
    }
}
