using System.Net.Sockets;
using JobQueue.Contracts;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Api.Errors;

/// <summary>
/// Turns exceptions that escape an endpoint into problem responses: rejected input into 4xx, an
/// unreachable database into 503 with <c>Retry-After</c>, and anything else into 500.
/// </summary>
internal sealed class ProblemMiddleware(RequestDelegate next, ILogger<ProblemMiddleware> logger)
{
    /// <summary>Seconds a client should wait before retrying after a 503.</summary>
    public const int RetryAfterSeconds = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            ApiLog.RequestAborted(logger, context.Request.Method, context.Request.Path);
        }
        catch (Exception exception) when (context.Response.HasStarted)
        {
            ApiLog.ExceptionAfterResponseStarted(logger, exception, context.Request.Method, context.Request.Path);
            throw;
        }
        catch (Exception exception)
        {
            await WriteAsync(context, ToProblem(context, exception));
        }
    }

    /// <summary>Writes <paramref name="problem"/> as <c>application/problem+json</c> with the API's JSON options.</summary>
    public static Task WriteAsync(HttpContext context, ApiProblem problem)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        context.Response.Clear();
        context.Response.StatusCode = problem.Status;
        if (problem.Status == StatusCodes.Status503ServiceUnavailable)
        {
            context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return context.Response.WriteAsJsonAsync(problem, options, ApiProblem.ContentType, context.RequestAborted);
    }

    private ApiProblem ToProblem(HttpContext context, Exception exception)
    {
        var method = context.Request.Method;
        var path = context.Request.Path;
        switch (exception)
        {
            case RequestRejectedException rejected:
                var errors = rejected.Field is null
                    ? null
                    : new Dictionary<string, string[]> { [rejected.Field] = [rejected.FieldMessage ?? rejected.Message] };
                return ApiProblem.Create(context, rejected.Status, rejected.Type, rejected.Message, errors);

            case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                return TooLarge(context);

            case BadHttpRequestException badRequest:
                return ApiProblem.Create(context, badRequest.StatusCode, ApiProblem.TypeOf(badRequest.StatusCode),
                    "The request could not be read: " + badRequest.Message);

            // Data exceptions (class 22) and constraint violations (class 23) mean input got past
            // validation. They get a 400 response, and the log shows which check is missing.
            case PostgresException { SqlState: ['2', '2' or '3', ..] } rejectedByDatabase:
                ApiLog.DatabaseRejectedValue(logger, exception, method, path, rejectedByDatabase.SqlState);
                return ApiProblem.Create(context, StatusCodes.Status400BadRequest, ProblemTypes.ValidationFailed,
                    "The database rejected a value of the request (SQLSTATE " + rejectedByDatabase.SqlState + ").");

            case PostgresException postgres when !IsUnavailable(postgres):
                return Internal(context, exception);

            case NpgsqlException or SocketException or TimeoutException:
                ApiLog.DatabaseUnavailable(logger, exception, method, path, RetryAfterSeconds);
                return ApiProblem.Create(context, StatusCodes.Status503ServiceUnavailable, ProblemTypes.Unavailable,
                    $"The database is unavailable. Nothing was changed; retry after {RetryAfterSeconds} seconds.");

            default:
                return Internal(context, exception);
        }
    }

    public static ApiProblem TooLarge(HttpContext context)
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBodyBytes;
        return ApiProblem.Create(context, StatusCodes.Status413PayloadTooLarge, ProblemTypes.PayloadTooLarge,
            $"The request body is larger than {limit} bytes (setting Api:MaxRequestBodyBytes). Send fewer jobs per batch.");
    }

    private ApiProblem Internal(HttpContext context, Exception exception)
    {
        var problem = ApiProblem.Create(context, StatusCodes.Status500InternalServerError, ProblemTypes.Internal,
            "An unexpected error occurred. Report the trace id to the operator of this service.");
        ApiLog.UnhandledException(logger, exception, context.Request.Method, context.Request.Path, problem.TraceId ?? "");
        return problem;
    }

    // Connection failures (class 08), shutdowns and "too many connections" (57P01-57P03, 53300)
    // mean the server cannot serve now, and so does a database that does not exist or was dropped
    // (3D000, 57P04), as while it is restored. Other server errors are defects of this service.
    private static bool IsUnavailable(PostgresException exception) =>
        exception.SqlState.StartsWith("08", StringComparison.Ordinal)
        || exception.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
            or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections
            or PostgresErrorCodes.InvalidCatalogName or PostgresErrorCodes.DatabaseDropped;
}
