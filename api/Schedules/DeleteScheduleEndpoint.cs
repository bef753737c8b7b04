using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Storage;

namespace JobQueue.Api.Schedules;

public sealed class DeleteScheduleEndpoint(ScheduleStore store, ILogger<DeleteScheduleEndpoint> logger)
    : Endpoint<ScheduleNameRequest>
{
    public override void Configure()
    {
        Delete("/v1/schedules/{name}");
        AllowAnonymous();
        RequestBinder(new RequestBinder<ScheduleNameRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("deleteSchedule")
                .Accepts<ScheduleNameRequest>("*/*")
                .Produces(StatusCodes.Status204NoContent)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Delete a schedule";
            summary.Description =
                "Deletes a schedule and the record of its handled slots; jobs it already enqueued are kept. A schedule " +
                "from configuration comes back at the next start of a host whose configuration still lists it. " +
                "The request has no body.";
            summary.Responses[204] = "The schedule was deleted.";
            summary.Responses[400] = "The name is not a valid schedule name.";
            summary.Responses[404] = "No schedule has this name.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(ScheduleNameRequest req, CancellationToken ct)
    {
        var source = await store.DeleteAsync(req.Name, ct);
        if (source is null)
        {
            await ScheduleResponses.SendNotFoundAsync(HttpContext, req.Name);
            return;
        }

        ScheduleResponses.ScheduleChanged(logger, req.Name, source == "config" ? "deleted (it is in configuration)" : "deleted");
        await Send.NoContentAsync(ct);
    }
}
