using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;

namespace JobQueue.Api.Schedules;

public sealed class ListSchedulesEndpoint(ScheduleStore store) : EndpointWithoutRequest<ScheduleList>
{
    public override void Configure()
    {
        Get("/v1/schedules");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("listSchedules")
                .Produces<ScheduleList>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "List schedules";
            summary.Description = "Returns every recurring schedule, by name, with its latest run and its next slot.";
            summary.Responses[200] = "The schedules.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var rows = await store.ListAsync(ct);
        await Send.OkAsync(new ScheduleList { Items = rows.Select(ScheduleMapping.ToContract).ToList() }, ct);
    }
}
