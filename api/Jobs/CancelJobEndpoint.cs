using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

public sealed class CancelJobEndpoint(JobStore store, ILogger<CancelJobEndpoint> logger) : Endpoint<JobIdRequest, Job>
{
    public override void Configure()
    {
        Post("/v1/jobs/{id}/cancel");
        AllowAnonymous();
        RequestBinder(new RequestBinder<JobIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("cancelJob")

                // Declares the route DTO so the document types the id parameter; "*/*" keeps bodiless
                // requests from being rejected for their Content-Type.
                .Accepts<JobIdRequest>("*/*")
                .Produces<Job>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 409, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Cancel a job";
            summary.Description =
                "A job that has not started becomes 'cancelled'. A running job stays 'running' with cancel_requested_at " +
                "set; its worker stops the attempt and the job then becomes 'cancelled'. Cancelling a cancelled job " +
                "returns it unchanged. The request has no body.";
            summary.Responses[200] = "The job after the change.";
            summary.Responses[400] = "The id is not a 64-bit signed integer.";
            summary.Responses[404] = "No job has this id.";
            summary.Responses[409] = "The job is completed or discarded, so it cannot be cancelled.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(JobIdRequest req, CancellationToken ct)
    {
        var changed = await store.CancelAsync(req.Id, ct);
        if (changed is not null)
        {
            ApiLog.JobCancelled(logger, changed.Id, changed.State);
            await Send.OkAsync(changed, ct);
            return;
        }

        // The store changes nothing for a missing or final job; a second read distinguishes them.
        var current = await store.GetAsync(req.Id, ct);
        if (current is null)
        {
            await Send.ResultAsync(ApiProblemResults.JobNotFound(HttpContext, req.Id).ToResult());
            return;
        }

        if (current.State == JobState.Cancelled)
        {
            await Send.OkAsync(current, ct);
            return;
        }

        var state = JobStates.ToName(current.State);
        var problem = ApiProblem.Create(HttpContext, StatusCodes.Status409Conflict, ProblemTypes.InvalidState,
            $"Job {req.Id} is {state}, so it cannot be cancelled. Only scheduled, available, retryable and running jobs can.");
        await Send.ResultAsync(problem.ToResult());
    }
}
