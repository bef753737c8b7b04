using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

public sealed class RunJobEndpoint(JobStore store, ILogger<RunJobEndpoint> logger) : Endpoint<JobIdRequest, Job>
{
    public override void Configure()
    {
        Post("/v1/jobs/{id}/run");
        AllowAnonymous();
        RequestBinder(new RequestBinder<JobIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("runJob")
                .Accepts<JobIdRequest>("*/*")
                .Produces<Job>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 409, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Run a job now";
            summary.Description =
                "Makes a scheduled job, or a retryable job waiting for its backoff, 'available' at once, so the next " +
                "free worker runs it. Its attempt budget and errors stay as they are. An available job is returned " +
                "unchanged. To run a final job again, retry it. The request has no body.";
            summary.Responses[200] = "The job after the change.";
            summary.Responses[400] = "The id is not a 64-bit signed integer.";
            summary.Responses[404] = "No job has this id.";
            summary.Responses[409] = "The job is running or final.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(JobIdRequest req, CancellationToken ct)
    {
        var changed = await store.RunNowAsync(req.Id, ct);
        if (changed is not null)
        {
            ApiLog.JobRunNow(logger, changed.Id);
            await Send.OkAsync(changed, ct);
            return;
        }

        var current = await store.GetAsync(req.Id, ct);
        if (current is null)
        {
            await Send.ResultAsync(ApiProblemResults.JobNotFound(HttpContext, req.Id).ToResult());
            return;
        }

        if (current.State == JobState.Available)
        {
            await Send.OkAsync(current, ct);
            return;
        }

        var state = JobStates.ToName(current.State);
        var hint = JobStates.IsFinal(current.State) ? " Retry it to run it again." : "";
        var problem = ApiProblem.Create(HttpContext, StatusCodes.Status409Conflict, ProblemTypes.InvalidState,
            $"Job {req.Id} is {state}, so it cannot be run now. Only scheduled and retryable jobs can.{hint}");
        await Send.ResultAsync(problem.ToResult());
    }
}
