using System.Net.Sockets;
using System.Text.Json.Serialization;
using JobQueue.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Npgsql;
using OpenTelemetry.Metrics;

namespace JobQueue.Worker;

/// <summary>
/// Serves liveness and readiness probes and the Prometheus scrape endpoint <c>/metrics</c> over
/// HTTP on <c>Worker:HealthUrls</c>, for container orchestrators. Readiness needs the database
/// reachable, every migration of this build applied, and the LISTEN connection open. Without the
/// setting the worker opens no port.
/// </summary>
internal sealed partial class HealthServer(
    IConfiguration configuration,
    Migrator migrator,
    NotificationListener listener,
    IServiceProvider services,
    ILogger<HealthServer> logger)
    : IHostedService, IAsyncDisposable
{
    public const string UrlsKey = "Worker:HealthUrls";

    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(5);

    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var urls = configuration[UrlsKey];
        if (string.IsNullOrWhiteSpace(urls))
        {
            return;
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        _app = builder.Build();
        _app.MapGet("/healthz/live", () => Results.Ok(new Probe("live", null)));
        _app.MapGet("/healthz/ready", ReadyAsync);

        // The scrape endpoint serves the worker host's meter provider, not one of this server's own.
        if (services.GetService<MeterProvider>() is { } meterProvider)
        {
            _app.MapPrometheusScrapingEndpoint("/metrics", meterProvider, configureBranchedPipeline: null, optionsName: null);
        }

        await _app.StartAsync(cancellationToken);
        LogListening(urls);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    private async Task<IResult> ReadyAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ReadinessTimeout);
        SchemaStatus schema;
        try
        {
            schema = await migrator.ReadSchemaStatusAsync(timeout.Token);
        }
        catch (Exception exception) when (exception is NpgsqlException or SocketException or TimeoutException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogDatabaseUnreachable(exception);
            return NotReady("The database could not be reached.");
        }

        if (!schema.IsCurrent)
        {
            LogSchemaBehind(string.Join(", ", schema.Missing));
            return NotReady($"The database lacks migrations {string.Join(", ", schema.Missing)} of this build. " +
                "Apply them with the 'migrate' command.");
        }

        return listener.IsListening
            ? Results.Ok(new Probe("ready", null))
            : NotReady("The LISTEN connection is down; the worker polls until it is back.");
    }

    private static IResult NotReady(string detail) =>
        Results.Json(new Probe("not_ready", detail), statusCode: StatusCodes.Status503ServiceUnavailable);

    /// <summary>Body of a probe response.</summary>
    private sealed record Probe(
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("detail")][property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Detail);

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "Health probes listening on {Urls}")]
    private partial void LogListening(string urls);

    [LoggerMessage(EventId = 3402, Level = LogLevel.Warning, Message = "Readiness check failed: the database could not be reached")]
    private partial void LogDatabaseUnreachable(Exception exception);

    [LoggerMessage(EventId = 3403, Level = LogLevel.Warning,
        Message = "Readiness check failed: the database lacks migrations {Versions} of this build")]
    private partial void LogSchemaBehind(string versions);
}
