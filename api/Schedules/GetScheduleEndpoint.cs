using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;

namespace JobQueue.Api.Schedules;

public sealed class GetScheduleEndpoint(ScheduleStore store) : Endpoint<ScheduleNameRequest, Schedule>
{
    public override void Configure()
    {
        Get("/v1/schedules/{name}");
        AllowAnonymous();
        RequestBinder(new RequestBinder<ScheduleNameRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("getSchedule")
                .Accepts<ScheduleNameRequest>("*/*")
                .Produces<Schedule>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Get a schedule";
            summary.Description = "Returns the schedule with its latest run (last_run_at, last_job_id) and its next slot (next_run_at).";
            summary.Responses[200] = "The schedule.";
            summary.Responses[400] = "The name is not a valid schedule name.";
            summary.Responses[404] = "No schedule has this name.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(ScheduleNameRequest req, CancellationToken ct)
    {
        var row = await store.GetAsync(req.Name, ct);
        if (row is null)
        {
            await ScheduleResponses.SendNotFoundAsync(HttpContext, req.Name);
            return;
        }

        await Send.OkAsync(ScheduleMapping.ToContract(row), ct);
    }
}
