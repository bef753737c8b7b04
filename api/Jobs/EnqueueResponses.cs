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

    /// <summary>Response header of a unique enqueue that returned an existing job: that job's id.</summary>
    public const string DuplicateOfHeader = "JobQueue-Duplicate-Of";

    /// <summary>
    /// Enqueues <paramref name="jobs"/>, with <paramref name="batch"/> when given, and sends the
    /// response that <paramref name="toResponse"/> builds from the result. <paramref name="endpoint"/>
    /// scopes the key; <paramref name="request"/> is the parsed body, whose fingerprint is compared
    /// on a repeated key.
    /// </summary>
    public static async Task SendAsync<TRequest>(
        HttpContext context,
        string endpoint,
        TRequest request,
        IReadOnlyList<NewJob> jobs,
        NewBatch? batch,
        Func<EnqueueResult, EnqueueReply> toResponse,
        ILogger logger,
        CancellationToken ct)
    {
        var services = context.RequestServices;
        var store = services.GetRequiredService<JobStore>();
        var json = services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var keyValue = IdempotencyKeyHeader.Read(context.Request);
        if (keyValue is null)
        {
            // A single plain job shares its INSERT and commit with the single jobs of concurrent requests.
            var enqueued = batch is null && jobs.Count == 1 && jobs[0].Unique is null
                ? new EnqueueResult([await store.InsertCoalescedAsync(jobs[0], ct)], [false], null)
                : await store.EnqueueAsync(jobs, batch, ct);
            LogEnqueued(logger, enqueued);
            enqueued = await RunInlineAsync(services, store, enqueued, ct);
            await WriteAsync(context, ToStored(enqueued, toResponse, json), replayed: false, ct);
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
        (EnqueueResult Result, StoredResponse Response)? outcome;
        try
        {
            outcome = await store.EnqueueWithIdempotencyKeyAsync(
                jobs, batch, key, token, result => ToStored(result, toResponse, json), ct);
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // Nothing was committed, so the marker is removed and a retry may run at once. When
            // this fails too, the marker blocks the key until Api:IdempotencyInFlightTimeout.
            await TryReleaseAsync(keys, key, token, logger);
            throw;
        }

        if (outcome is not { } committed)
        {
            await SendInFlightAsync(context, key);
            return;
        }

        LogEnqueued(logger, committed.Result);
        var response = committed.Response;
        var afterRuns = await RunInlineAsync(services, store, committed.Result, ct);
        if (!ReferenceEquals(afterRuns, committed.Result))
        {
            // NOTE: inline mode stores the response again after the attempts ran. A replay that
            // arrives while they run, or after this process died during them, returns the jobs as
            // enqueued.
            response = ToStored(afterRuns, toResponse, json);
            await keys.ReplaceBodyAsync(key, token, response.Body, ct);
        }

        await WriteAsync(context, response, replayed: false, ct);
    }

    private static void LogEnqueued(ILogger logger, EnqueueResult result)
    {
        var inserted = result.Jobs.Where((_, i) => !result.Duplicates[i]).ToList();
        if (inserted.Count > 0)
        {
            ApiLog.JobsEnqueued(logger, inserted.Count, inserted[0].Id);
        }
    }

    private static async Task<EnqueueResult> RunInlineAsync(
        IServiceProvider services, JobStore store, EnqueueResult result, CancellationToken ct)
    {
        var jobs = await InlineRuns.RunIfInlineAsync(services, store, result.Jobs, result.Duplicates, ct);
        return ReferenceEquals(jobs, result.Jobs) ? result : result with { Jobs = jobs };
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

    private static StoredResponse ToStored(
        EnqueueResult result, Func<EnqueueResult, EnqueueReply> toResponse, JsonSerializerOptions json)
    {
        var reply = toResponse(result);
        return new StoredResponse(reply.StatusCode, JsonSerializer.Serialize(reply.Body, reply.Body.GetType(), json), reply.Location);
    }

    private static async Task WriteAsync(HttpContext context, StoredResponse response, bool replayed, CancellationToken ct)
    {
        context.Response.StatusCode = response.StatusCode;
        context.Response.ContentType = "application/json; charset=utf-8";
        if (response.Location is not null)
        {
            context.Response.Headers.Location = response.Location;
        }

        // Only a unique enqueue of one job that found an existing job responds 200 with a Location,
        // so the header is rebuilt from those when a stored response is replayed.
        if (response.StatusCode == StatusCodes.Status200OK && response.Location is { } location)
        {
            context.Response.Headers[DuplicateOfHeader] = location[(location.LastIndexOf('/') + 1)..];
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

/// <summary>What an enqueue endpoint responds: status 200 or 201, the body, and a <c>Location</c> if any.</summary>
internal sealed record EnqueueReply(int StatusCode, object Body, string? Location);
