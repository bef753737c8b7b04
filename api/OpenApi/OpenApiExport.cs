using JobQueue.Api.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using NSwag;
using NSwag.Generation;

namespace JobQueue.Api.OpenApi;

/// <summary>
/// Writes the OpenAPI document to a file, for the committed <c>openapi.yaml</c>:
/// <c>dotnet run --project api -- openapi openapi.yaml</c>.
/// </summary>
public static class OpenApiExport
{
    /// <summary>
    /// Connection string used only so the host builds when none is configured. Generating the
    /// document opens no connection, and the host is never started, so nothing connects to it.
    /// </summary>
    private const string PlaceholderConnectionString = "Host=127.0.0.1;Database=openapi_export_only";

    public static async Task<int> WriteYamlAsync(string path, string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        var overrides = new Dictionary<string, string?> { ["Database:MigrateOnStartup"] = "false" };
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(Storage.StorageServiceCollectionExtensions.ConnectionStringName)))
        {
            overrides["ConnectionStrings:" + Storage.StorageServiceCollectionExtensions.ConnectionStringName] = PlaceholderConnectionString;
        }

        builder.Configuration.AddInMemoryCollection(overrides);
        builder.AddApiServices();

        // The endpoints reach the document generator only once the host has started, so the host
        // starts with a server that opens no port.
        builder.Services.AddSingleton<IServer, NoListenerServer>();
        await using var app = builder.Build();
        app.UseApiPipeline();
        await app.StartAsync();
        var yaml = await ToYamlAsync(await GenerateJsonAsync(app.Services));
        await app.StopAsync();
        await File.WriteAllTextAsync(path, yaml);
        var logger = app.Services.GetRequiredService<ILogger<WebApplication>>();
        var fullPath = Path.GetFullPath(path);
        ApiLog.OpenApiWritten(logger, fullPath);
        return 0;
    }

    /// <summary>Generates the document as the server does at <c>/openapi/v1.json</c>.</summary>
    public static async Task<string> GenerateJsonAsync(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        var generator = services.GetRequiredService<IOpenApiDocumentGenerator>();
        var document = await generator.GenerateAsync(OpenApiSetup.DocumentName);
        document.Servers.Clear();
        return document.ToJson();
    }

    /// <summary>
    /// Converts a served or generated JSON document to the YAML that is committed. The command and
    /// the test that compares the committed file both call this, so they cannot drift apart.
    /// </summary>
    public static async Task<string> ToYamlAsync(string json)
    {
        var document = await OpenApiDocument.FromJsonAsync(json);
        return document.ToYaml().ReplaceLineEndings("\n");
    }
}

/// <summary>A server that accepts no connections, for starting the host only to read its endpoints.</summary>
internal sealed class NoListenerServer : IServer
{
    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
    }
}
