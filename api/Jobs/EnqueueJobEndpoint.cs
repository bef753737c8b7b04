using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Jobs;

public sealed class EnqueueJobEndpoint(JobStore store, IOptions<ApiOptions> options, ILogger<EnqueueJobEndpoint> logger)
    : Endpoint<EnqueueJobRequest, Job>
{
    public override void Configure()
    {
        Post("/v1/jobs");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("enqueueJob")
                .Accepts<EnqueueJobRequest>(OpenApiDescriptions.Json)
                .Produces<Job>(StatusCodes.Status201Created, OpenApiDescriptions.Json)
                .ProducesProblems(400, 413, 415, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Enqueue a job";
            summary.Description =
                "Stores one job. Omitted fields take defaults: queue 'default', args {}, priority 0 (lower runs first), " +
                "max_attempts from the server setting Api:DefaultMaxAttempts, no timeout, due at once.";
            summary.Responses[201] = "The stored job; the Location header points at it.";
            summary.Responses[400] = "Invalid JSON or an invalid field; 'errors' names each field.";
            summary.Responses[413] = "The body is larger than Api:MaxRequestBodyBytes.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was stored. Retry after the Retry-After header.";
        });
    }

    public override async Task HandleAsync(EnqueueJobRequest req, CancellationToken ct)
    {
        var stored = await store.InsertManyAsync([NewJobMapping.ToNewJob(req, options.Value)], ct);
        ApiLog.JobsEnqueued(logger, 1, stored[0].Id);
        stored = await InlineRuns.RunIfInlineAsync(HttpContext.RequestServices, store, stored, ct);
        var job = stored[0];
        HttpContext.Response.Headers.Location = JobRoutes.JobPath(job.Id);
        await Send.ResponseAsync(job, StatusCodes.Status201Created, ct);
    }
}
