using System.Text.Json;
using FastEndpoints;
using JobQueue.Api.Jobs;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Batches;

public sealed class CreateBatchEndpoint(IOptions<ApiOptions> options, ILogger<CreateBatchEndpoint> logger)
    : Endpoint<CreateBatchRequest, CreateBatchResponse>
{
    public override void Configure()
    {
        Post("/v1/batches");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("createBatch")
                .Accepts<CreateBatchRequest>(OpenApiDescriptions.Json)
                .Produces<CreateBatchResponse>(StatusCodes.Status201Created, OpenApiDescriptions.Json)
                .ProducesProblems(400, 409, 413, 415, 422, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Create a batch of jobs with a callback";
            summary.Description =
                $"Stores 1 to {CreateBatchRequest.MaxJobs} jobs as one batch, all or none; each job shows the batch_id. " +
                "When every job of the batch is completed, cancelled or discarded, the callback runs exactly once: the " +
                "callback job is enqueued with a batch member in its args (id, total, completed, cancelled, discarded), " +
                $"or a job of kind {CreateBatchRequest.CallbackUrlKind} delivers a signed webhook to callback_url. The " +
                "Idempotency-Key header works as in enqueueJob.";
            summary.Responses[201] = "The batch and its jobs in request order; the Location header points at the batch.";
            summary.Responses[400] = "Invalid JSON or an invalid field; 'errors' names each. Nothing was stored.";
            summary.Responses[409] = "A request with the same Idempotency-Key is still in flight; retry after Retry-After.";
            summary.Responses[422] = "The Idempotency-Key was already used with a different body.";
            summary.Responses[413] = "The body is larger than Api:MaxRequestBodyBytes.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was stored.";
        });
    }

    public override async Task HandleAsync(CreateBatchRequest req, CancellationToken ct)
    {
        var settings = options.Value;

        // The same URL policy as webhook endpoints: internal addresses are rejected here, not
        // only when the worker connects.
        if (req.CallbackUrl is { } callbackUrl && settings.UrlPolicy.CheckUrl(callbackUrl, "callback_url") is { } problem)
        {
            ThrowError(new FluentValidation.Results.ValidationFailure("callback_url", problem));
        }

        var jobs = req.Jobs.Select(job => NewJobMapping.ToNewJob(job, settings)).ToList();
        var callback = req.Callback is { } template ? NewJobMapping.ToNewJob(template, settings)
            : req.CallbackUrl is { } url ? UrlCallback(url, settings)
            : null;
        var batch = new NewBatch(req.Description, callback, req.CallbackUrl);
        await EnqueueResponses.SendAsync(
            HttpContext, "POST /v1/batches", req, jobs, batch,
            result => new EnqueueReply(
                StatusCodes.Status201Created,
                new CreateBatchResponse { Batch = result.Batch!, Jobs = result.Jobs },
                BatchRoutes.BatchPath(result.Batch!.Id)),
            logger, ct);
    }

    // The worker delivers this job to the URL in its args, signed with Webhooks:BatchCallbacks.
    private static NewJob UrlCallback(string url, ApiOptions settings) => new(
        Queue: NewJobMapping.DefaultQueue,
        Kind: CreateBatchRequest.CallbackUrlKind,
        ArgsJson: JsonSerializer.Serialize(new Dictionary<string, string> { ["url"] = url }),
        Priority: 0,
        MaxAttempts: settings.DefaultMaxAttempts,
        TimeoutMs: null,
        Tags: [],
        RunAt: null,
        DelayMs: null);
}

internal static class BatchRoutes
{
    public static string BatchPath(long id) => "/v1/batches/" + id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
