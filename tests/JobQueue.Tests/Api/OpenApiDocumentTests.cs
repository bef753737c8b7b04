using System.Text.Json;
using JobQueue.Api.OpenApi;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class OpenApiDocumentTests(ApiHost api)
{
    private const string RegenerateCommand = "dotnet run --project api -- openapi openapi.yaml";

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "JobQueueApi.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No JobQueueApi.sln above {AppContext.BaseDirectory}.");
    }

    private async Task<string> ServedJsonAsync()
    {
        var response = await api.GetAsync("/openapi/v1.json");
        Assert.Equal(200, response.Status);
        return response.Body;
    }

    [Fact]
    public async Task Committed_openapi_yaml_matches_served_document()
    {
        var served = await OpenApiExport.ToYamlAsync(await ServedJsonAsync());
        var path = Path.Combine(RepositoryRoot(), "openapi.yaml");
        Assert.True(File.Exists(path), $"{path} is missing. Generate it from the repository root with: {RegenerateCommand}");

        var committed = (await File.ReadAllTextAsync(path)).ReplaceLineEndings("\n");
        if (committed != served)
        {
            var servedPath = Path.Combine(Path.GetTempPath(), "openapi.served.yaml");
            await File.WriteAllTextAsync(servedPath, served);
            Assert.Fail($"openapi.yaml differs from the document the API serves (written to {servedPath} for a diff). " +
                $"Regenerate it from the repository root with: {RegenerateCommand}");
        }
    }

    [Fact]
    public async Task Every_operation_has_an_operation_id()
    {
        using var document = JsonDocument.Parse(await ServedJsonAsync());
        var operations = document.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(path => path.Value.EnumerateObject().Select(operation => (Path: path.Name, Method: operation.Name, operation.Value)))
            .ToList();

        Assert.Equal(36, operations.Count);
        foreach (var (path, method, operation) in operations)
        {
            Assert.True(operation.TryGetProperty("operationId", out var id) && id.GetString() is { Length: > 0 },
                $"{method.ToUpperInvariant()} {path} has no operationId");
        }

        var ids = operations.Select(operation => operation.Value.GetProperty("operationId").GetString()).Order().ToList();
        Assert.Equal(
            ["bulkJobAction", "cancelJob", "countJobs", "createBatch", "createEndpoint", "createKey",
             "deleteEndpoint", "deleteSchedule", "disableSchedule", "discardJob", "enableSchedule", "enqueueJob",
             "enqueueJobs", "getBatch", "getEndpoint", "getJob", "getKey", "getSchedule",
             "getStats", "listAuditEntries", "listEndpoints", "listJobs", "listKeys", "listProcesses",
             "listQueues", "listSchedules", "pauseQueue", "putSchedule", "replaceEndpoint", "resumeQueue",
             "retryJob", "revokeKey", "rotateEndpointSecret", "runJob", "runSchedule", "streamEvents"],
            ids);
    }

    [Fact]
    public async Task Get_job_has_id_and_wait_parameters_and_no_body()
    {
        using var document = JsonDocument.Parse(await ServedJsonAsync());
        var getJob = document.RootElement.GetProperty("paths").GetProperty("/v1/jobs/{id}").GetProperty("get");

        var parameters = getJob.GetProperty("parameters").EnumerateArray().ToList();
        Assert.Equal(2, parameters.Count);
        Assert.Equal("id", parameters[0].GetProperty("name").GetString());
        Assert.Equal("path", parameters[0].GetProperty("in").GetString());
        Assert.Equal("integer", parameters[0].GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal("wait", parameters[1].GetProperty("name").GetString());
        Assert.Equal("query", parameters[1].GetProperty("in").GetString());
        Assert.False(parameters[1].TryGetProperty("required", out var required) && required.GetBoolean());
        Assert.False(getJob.TryGetProperty("requestBody", out _));
    }

    [Fact]
    public async Task Problem_schema_has_problem_details_members()
    {
        using var document = JsonDocument.Parse(await ServedJsonAsync());
        var problem = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("ProblemDetails");

        var members = problem.GetProperty("properties").EnumerateObject().Select(property => property.Name).ToList();
        Assert.Superset(new HashSet<string>(["type", "title", "status", "detail", "instance", "errors"]), members.ToHashSet());
        Assert.StartsWith("3.0", document.RootElement.GetProperty("openapi").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Job_state_enum_uses_wire_names()
    {
        using var document = JsonDocument.Parse(await ServedJsonAsync());
        var state = document.RootElement.GetProperty("components").GetProperty("schemas").GetProperty("JobState");

        Assert.Equal(["scheduled", "available", "running", "retryable", "completed", "cancelled", "discarded"],
            state.GetProperty("enum").EnumerateArray().Select(value => value.GetString()));
    }
}
