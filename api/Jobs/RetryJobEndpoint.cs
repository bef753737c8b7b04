using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

public sealed class RetryJobEndpoint(JobStore store, ILogger<RetryJobEndpoint> logger) : Endpoint<JobIdRequest, Job>
{
    public override void Configure()
    {
        Post("/v1/jobs/{id}/retry");
        AllowAnonymous();
        RequestBinder(new RequestBinder<JobIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("retryJob")

                // Declares the route DTO so the document types the id parameter; "*/*" keeps bodiless
                // requests from being rejected for their Content-Type.
                .Accepts<JobIdRequest>("*/*")
                .Produces<Job>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 409, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Retry a job now";
            summary.Description =
                "Makes a job that is not running 'available' at once, keeping its errors. A job with no attempts left " +
                "gets one more. The request has no body.";
            summary.Responses[200] = "The job after the change.";
            summary.Responses[400] = "The id is not a 64-bit signed integer.";
            summary.Responses[404] = "No job has this id.";
            summary.Responses[409] = "The job is running; cancel it first or wait for the attempt to end.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(JobIdRequest req, CancellationToken ct)
    {
        var changed = await store.RetryAsync(req.Id, ct);
        if (changed is not null)
        {
            ApiLog.JobRetried(logger, changed.Id);
            await Send.OkAsync(changed, ct);
            return;
        }

        // The store changes nothing for a missing or running job; a second read distinguishes them.
        var current = await store.GetAsync(req.Id, ct);
        if (current is null)
        {
            await Send.ResultAsync(ApiProblemResults.JobNotFound(HttpContext, req.Id).ToResult());
            return;
        }

        var state = JobStates.ToName(current.State);
        var problem = ApiProblem.Create(HttpContext, StatusCodes.Status409Conflict, ProblemTypes.InvalidState,
            $"Job {req.Id} is {state}, so it cannot be retried now. Cancel it or wait for the attempt to end.");
        await Send.ResultAsync(problem.ToResult());
    }
}
