using System.Text.Json;
using JobQueue.Api.Errors;
using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Api.Jobs;

/// <summary>
/// Stores the jobs of an enqueue request and sends the 201 response, honouring an
/// <c>Idempotency-Key</c> header as the IETF draft describes: the first request with a key
/// stores its response; the same key with the same body replays it; with another body it gets
/// 422; while the first request is still in flight, 409.
/// </summary>
internal static class EnqueueResponses
{
    /// <summary>Seconds a client should wait before retrying a request whose key is in flight.</summary>
    public const int InFlightRetryAfterSeconds = 1;

    /// <summary>
    /// Inserts <paramref name="jobs"/> and sends <paramref name="toBody"/> of the stored jobs with
    /// status 201. <paramref name="endpoint"/> scopes the key; <paramref name="request"/> is the
    /// parsed body, whose fingerprint is compared on a repeated key.
    /// </summary>
    public static async Task SendAsync<TRequest>(
        HttpContext context,
        string endpoint,
        TRequest request,
        IReadOnlyList<NewJob> jobs,
        Func<IReadOnlyList<Job>, (object Body, string? Location)> toBody,
        ILogger logger,
        CancellationToken ct)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<JobStore>();
        var json = services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var keyValue = IdempotencyKeyHeader.Read(context.Request);
        if (keyValue is null)
        {
            // A single job shares its INSERT and commit with the single jobs of concurrent requests.
            IReadOnlyList<Job> inserted = jobs.Count == 1
                ? [await store.InsertCoalescedAsync(jobs[0], ct)]
                : await store.InsertManyAsync(jobs, ct);
            ApiLog.JobsEnqueued(logger, inserted.Count, inserted[0].Id);
            inserted = await InlineRuns.RunIfInlineAsync(services, store, inserted, ct);
            await WriteAsync(context, ToResponse(inserted, toBody, json), replayed: false, ct);
            return;
        }

        var options = services.GetRequiredService<IOptions<ApiOptions>>().Value;
        var keys = services.GetRequiredService<IdempotencyStore>();
        var key = new IdempotencyKey(endpoint, keyValue, RequestFingerprint.Compute(request, json));
        var claim = await keys.ClaimAsync(key, options.IdempotencyKeyTtl, options.IdempotencyInFlightTimeout, ct);
        if (claim is IdempotencyClaim.Held held)
        {
            await SendHeldAsync(context, key, held, ct);
            return;
        }

        var token = ((IdempotencyClaim.Acquired)claim).Token;
        (IReadOnlyList<Job> Jobs, StoredResponse Response)? result;
        try
        {
            result = await store.InsertManyWithIdempotencyKeyAsync(
                jobs, key, token, stored => ToResponse(stored, toBody, json), ct);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // Nothing was committed, so the marker is removed and a retry may run at once. When
            // this fails too, the marker blocks the key until Api:IdempotencyInFlightTimeout.
            await TryReleaseAsync(keys, key, token, logger);
            throw;
        }

        if (result is not { } committed)
        {
            await SendInFlightAsync(context, key);
            return;
        }

        ApiLog.JobsEnqueued(logger, committed.Jobs.Count, committed.Jobs[0].Id);
        var response = committed.Response;
        var afterRuns = await InlineRuns.RunIfInlineAsync(services, store, committed.Jobs, ct);
        if (!ReferenceEquals(afterRuns, committed.Jobs))
        {
            // NOTE: inline mode stores the response again after the attempts ran. A replay that
            // arrives while they run, or after this process died during them, returns the jobs as
            // enqueued.
            response = ToResponse(afterRuns, toBody, json);
            await keys.ReplaceBodyAsync(key, token, response.Body, ct);
        }

        await WriteAsync(context, response, replayed: false, ct);
    }

    private static async Task SendHeldAsync(HttpContext context, IdempotencyKey key, IdempotencyClaim.Held held, CancellationToken ct)
    {
        if (!held.Fingerprint.AsSpan().SequenceEqual(key.Fingerprint))
        {
            var problem = ApiProblem.Create(context, StatusCodes.Status422UnprocessableEntity, ProblemTypes.IdempotencyKeyReused,
                $"The {IdempotencyKeyHeader.Name} '{key.Key}' was already used with a different request body. " +
                "Send the original body to get its response, or use a new key for a new request.");
            await ProblemMiddleware.WriteAsync(context, problem);
            return;
        }

        if (held.Response is null)
        {
            await SendInFlightAsync(context, key);
            return;
        }

        await WriteAsync(context, held.Response, replayed: true, ct);
    }

    private static Task SendInFlightAsync(HttpContext context, IdempotencyKey key)
    {
        context.Response.Headers.RetryAfter = InFlightRetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var problem = ApiProblem.Create(context, StatusCodes.Status409Conflict, ProblemTypes.IdempotencyKeyInFlight,
            $"A request with the {IdempotencyKeyHeader.Name} '{key.Key}' is still in flight. Retry after " +
            $"{InFlightRetryAfterSeconds} second to get its response.");
        return WriteProblemKeepingHeadersAsync(context, problem);
    }

    // ProblemMiddleware.WriteAsync clears the response, which would drop Retry-After.
    private static Task WriteProblemKeepingHeadersAsync(HttpContext context, ApiProblem problem)
    {
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        context.Response.StatusCode = problem.Status;
        return context.Response.WriteAsJsonAsync(problem, options, ApiProblem.ContentType, context.RequestAborted);
    }

    private static StoredResponse ToResponse(
        IReadOnlyList<Job> stored, Func<IReadOnlyList<Job>, (object Body, string? Location)> toBody, JsonSerializerOptions json)
    {
        var (body, location) = toBody(stored);
        return new StoredResponse(StatusCodes.Status201Created, JsonSerializer.Serialize(body, body.GetType(), json), location);
    }

    private static async Task WriteAsync(HttpContext context, StoredResponse response, bool replayed, CancellationToken ct)
    {
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (response.Location is not null)
        {
            context.Response.Headers.Location = response.Location;
        }

        if (replayed)
        {
            context.Response.Headers[IdempotencyKeyHeader.ReplayedName] = "true";
        }

        await context.Response.WriteAsync(response.Body, ct);
    }

    private static async Task TryReleaseAsync(IdempotencyStore keys, IdempotencyKey key, Guid token, ILogger logger)
    {
        try
        {
            await keys.ReleaseAsync(key, token, CancellationToken.None);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            // The marker stays until it is stale. The original exception is the one the client gets.
            ApiLog.IdempotencyKeyReleaseFailed(logger, exception, key.Endpoint, key.Key);
        }
    }
}
