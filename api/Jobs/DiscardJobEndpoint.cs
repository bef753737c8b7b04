using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

public sealed class DiscardJobEndpoint(JobStore store, ILogger<DiscardJobEndpoint> logger) : Endpoint<JobIdRequest, Job>
{
    public override void Configure()
    {
        Post("/v1/jobs/{id}/discard");
        AllowAnonymous();
        RequestBinder(new RequestBinder<JobIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("discardJob")
                .Accepts<JobIdRequest>("*/*")
                .Produces<Job>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 409, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Discard a job";
            summary.Description =
                "A scheduled, available or retryable job becomes 'discarded' at once, with an error of reason " +
                "'discarded' added to its errors. Discarding a discarded job returns it unchanged. A running job " +
                "cannot be discarded; cancel it instead. The request has no body.";
            summary.Responses[200] = "The job after the change.";
            summary.Responses[400] = "The id is not a 64-bit signed integer.";
            summary.Responses[404] = "No job has this id.";
            summary.Responses[409] = "The job is running, completed or cancelled.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(JobIdRequest req, CancellationToken ct)
    {
        var changed = await store.DiscardAsync(req.Id, ct);
        if (changed is not null)
        {
            ApiLog.JobDiscarded(logger, changed.Id);
            await Send.OkAsync(changed, ct);
            return;
        }

        // The store changes nothing for a missing, running or final job; a second read distinguishes them.
        var current = await store.GetAsync(req.Id, ct);
        if (current is null)
        {
            await Send.ResultAsync(ApiProblemResults.JobNotFound(HttpContext, req.Id).ToResult());
            return;
        }

        if (current.State == JobState.Discarded)
        {
            await Send.OkAsync(current, ct);
            return;
        }

        var state = JobStates.ToName(current.State);
        var hint = current.State == JobState.Running ? " Cancel it instead." : "";
        var problem = ApiProblem.Create(HttpContext, StatusCodes.Status409Conflict, ProblemTypes.InvalidState,
            $"Job {req.Id} is {state}, so it cannot be discarded. Only scheduled, available and retryable jobs can.{hint}");
        await Send.ResultAsync(problem.ToResult());
    }
}
