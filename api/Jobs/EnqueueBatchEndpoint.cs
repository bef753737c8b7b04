using FastEndpoints;
using JobQueue.Api.Access;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Jobs;

public sealed class EnqueueBatchEndpoint(IOptions<ApiOptions> options, ILogger<EnqueueBatchEndpoint> logger)
    : Endpoint<EnqueueBatchRequest, EnqueueBatchResponse>
{
    public override void Configure()
    {
        Post("/v1/jobs/batch");
        AllowAnonymous();
        Options(builder => builder.WithMetadata(QueueLimitsEnforced.Instance));
        Description(
            builder => builder
                .WithName("enqueueJobs")
                .Accepts<EnqueueBatchRequest>(OpenApiDescriptions.Json)
                .Produces<EnqueueBatchResponse>(StatusCodes.Status201Created, OpenApiDescriptions.Json)
                .Produces<EnqueueBatchResponse>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 409, 413, 415, 422, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Enqueue jobs in one transaction";
            summary.Description =
                $"Stores 1 to {EnqueueBatchRequest.MaxJobs} jobs, all or none. Every job is validated before any is " +
                "stored; field errors are named by index, such as jobs[3].kind. Defaults, and the Idempotency-Key " +
                "header, work as in enqueueJob. A member with unique that matches an existing job, or an earlier member " +
                "of the same request, gets that job in its place, and its position is listed in duplicates.";
            summary.Responses[201] = "The jobs in request order; at least one of them is new.";
            summary.Responses[200] = "Every member had unique and matched an existing job; nothing new was stored.";
            summary.Responses[400] = "Invalid JSON or an invalid job; nothing was stored.";
            summary.Responses[409] = "A request with the same Idempotency-Key is still in flight; retry after Retry-After.";
            summary.Responses[422] = "The Idempotency-Key was already used with a different body.";
            summary.Responses[413] = "The body is larger than Api:MaxRequestBodyBytes.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was stored.";
        });
    }

    public override async Task HandleAsync(EnqueueBatchRequest req, CancellationToken ct)
    {
        var settings = options.Value;
        var jobs = req.Jobs.Select(job => NewJobMapping.ToNewJob(job, settings)).ToList();
        if (QueueAccess.Reject(HttpContext, jobs.Select(job => job.Queue)) is { } forbidden)
        {
            await Send.ResultAsync(forbidden.ToResult());
            return;
        }

        await EnqueueResponses.SendAsync(
            HttpContext, "POST /v1/jobs/batch", req, jobs, null,
            result => new EnqueueReply(
                result.AnyInserted ? StatusCodes.Status201Created : StatusCodes.Status200OK,
                new EnqueueBatchResponse
                {
                    Jobs = result.Jobs,
                    Duplicates = Enumerable.Range(0, result.Jobs.Count).Where(i => result.Duplicates[i]).ToList(),
                },
                null),
            logger, ct);
    }
}
