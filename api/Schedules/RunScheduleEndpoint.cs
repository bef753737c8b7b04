using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;

namespace JobQueue.Api.Schedules;

public sealed class RunScheduleEndpoint(ScheduleStore store, TimeProvider timeProvider, ILogger<RunScheduleEndpoint> logger)
    : Endpoint<ScheduleNameRequest, Job>
{
    public override void Configure()
    {
        Post("/v1/schedules/{name}/run");
        AllowAnonymous();
        RequestBinder(new RequestBinder<ScheduleNameRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("runSchedule")
                .Accepts<ScheduleNameRequest>("*/*")
                .Produces<Job>(StatusCodes.Status202Accepted, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Run a schedule now";
            summary.Description =
                "Enqueues one job from the schedule's template, due at once, outside its slots, and records it as the " +
                "schedule's latest run. It works on a disabled schedule too, and the overlap policy does not apply. " +
                "The request has no body.";
            summary.Responses[202] = "The enqueued job; the Location header points at it.";
            summary.Responses[400] = "The name is not a valid schedule name.";
            summary.Responses[404] = "No schedule has this name.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was enqueued.";
        });
    }

    public override async Task HandleAsync(ScheduleNameRequest req, CancellationToken ct)
    {
        var result = await store.RunNowAsync(req.Name, timeProvider.GetUtcNow(), ScheduleMapping.ToNewJob, ct);
        if (result is not { } run)
        {
            await ScheduleResponses.SendNotFoundAsync(HttpContext, req.Name);
            return;
        }

        ScheduleResponses.ScheduleRunNow(logger, req.Name, run.Job.Id);
        HttpContext.Response.Headers.Location = ScheduleResponses.JobPath(run.Job.Id);
        await Send.ResponseAsync(run.Job, StatusCodes.Status202Accepted, ct);
    }
}
