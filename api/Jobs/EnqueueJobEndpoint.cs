using FastEndpoints;
using JobQueue.Api.Access;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Jobs;

public sealed class EnqueueJobEndpoint(IOptions<ApiOptions> options, ILogger<EnqueueJobEndpoint> logger)
    : Endpoint<EnqueueJobRequest, Job>
{
    public override void Configure()
    {
        Post("/v1/jobs");
        AllowAnonymous();
        Options(builder => builder.WithMetadata(QueueLimitsEnforced.Instance));
        Description(
            builder => builder
                .WithName("enqueueJob")
                .Accepts<EnqueueJobRequest>(OpenApiDescriptions.Json)
                .Produces<Job>(StatusCodes.Status201Created, OpenApiDescriptions.Json)
                .Produces<Job>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 409, 413, 415, 422, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Enqueue a job";
            summary.Description =
                "Stores one job. Omitted fields take defaults: queue 'default', args {}, priority 0 (lower runs first), " +
                "max_attempts from the server setting Api:DefaultMaxAttempts, no timeout, due at once. With an " +
                "Idempotency-Key header (1 to 255 visible ASCII characters), a repeated request with the same key and " +
                "body gets the first response again, with the header Idempotent-Replayed: true, for Api:IdempotencyKeyTtl " +
                "(24 hours by default). With unique, a job with the same unique key in one of unique.states (the states " +
                "that are not final by default), created within unique.period_seconds when given, is returned with " +
                $"status 200 and the header {EnqueueResponses.DuplicateOfHeader} instead of storing a new job.";
            summary.Responses[201] = "The stored job; the Location header points at it.";
            summary.Responses[200] = $"unique matched an existing job, which is returned; Location and {EnqueueResponses.DuplicateOfHeader} name it.";
            summary.Responses[400] = "Invalid JSON, an invalid field or an invalid Idempotency-Key; 'errors' names each.";
            summary.Responses[409] = "A request with the same Idempotency-Key is still in flight; retry after Retry-After.";
            summary.Responses[422] = "The Idempotency-Key was already used with a different body.";
            summary.Responses[413] = "The body is larger than Api:MaxRequestBodyBytes.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was stored. Retry after the Retry-After header.";
        });
    }

    public override async Task HandleAsync(EnqueueJobRequest req, CancellationToken ct)
    {
        var jobs = new[] { NewJobMapping.ToNewJob(req, options.Value) };
        if (QueueAccess.Reject(HttpContext, jobs.Select(job => job.Queue)) is { } forbidden)
        {
            await Send.ResultAsync(forbidden.ToResult());
            return;
        }

        await EnqueueResponses.SendAsync(
            HttpContext, "POST /v1/jobs", req, jobs, null,
            result => new EnqueueReply(
                result.Duplicates[0] ? StatusCodes.Status200OK : StatusCodes.Status201Created,
                result.Jobs[0],
                JobRoutes.JobPath(result.Jobs[0].Id)),
            logger, ct);
    }
}
