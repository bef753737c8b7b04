using System.Net.Sockets;
using JobQueue.Api.Errors;
using JobQueue.Contracts;
using JobQueue.Storage;
using Npgsql;

namespace JobQueue.Api.Health;

/// <summary>
/// Liveness and readiness probes. They are operational endpoints, not part of the client API, so
/// they are left out of the OpenAPI document.
/// </summary>
internal static class HealthEndpoints
{
    /// <summary>Longest a readiness probe waits for the database before it returns 503.</summary>
    private static readonly TimeSpan ReadinessTimeout = TimeSpan.FromSeconds(5);

    public static void MapHealthEndpoints(this IEndpointRouteBuilder routes)
    {
        // Liveness touches nothing outside the process, so a database outage does not restart the API.
        routes.MapGet("/healthz/live", () => TypedResults.Ok(new HealthStatus("live", null)))
            .ExcludeFromDescription();

        routes.MapGet("/healthz/ready", ReadyAsync).ExcludeFromDescription();
    }

    private static async Task<IResult> ReadyAsync(
        HttpContext context, Migrator migrator, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger(typeof(HealthEndpoints));
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
            ApiLog.ReadinessDatabaseUnreachable(logger, exception);
            return Unavailable(context, "The database could not be reached.");
        }

        // Migrations of a newer build are allowed: old hosts keep serving through an upgrade.
        if (!schema.IsCurrent)
        {
            var missing = string.Join(", ", schema.Missing);
            ApiLog.ReadinessSchemaBehind(logger, missing);
            return Unavailable(context,
                $"The database lacks migrations {missing} of this build. Apply them with the 'migrate' command.");
        }

        return TypedResults.Ok(new HealthStatus("ready", schema.DatabaseVersion));
    }

    private static IResult Unavailable(HttpContext context, string detail)
    {
        context.Response.Headers.RetryAfter = ProblemMiddleware.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return ApiProblem.Create(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable, detail).ToResult();
    }

    /// <summary>Body of a successful probe.</summary>
    /// <param name="Status"><c>live</c> or <c>ready</c>.</param>
    /// <param name="SchemaVersion">Database schema version, on readiness only.</param>
    internal sealed record HealthStatus(
        [property: System.Text.Json.Serialization.JsonPropertyName("status")] string Status,
        [property: System.Text.Json.Serialization.JsonPropertyName("schema_version")]
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
        int? SchemaVersion);
}
