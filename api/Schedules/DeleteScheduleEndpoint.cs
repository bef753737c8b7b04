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
                .ProducesProblems(400, 404, 409, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Delete a schedule";
            summary.Description =
                "Deletes a schedule created over the API. Jobs it already enqueued are kept. The request has no body.";
            summary.Responses[204] = "The schedule was deleted.";
            summary.Responses[400] = "The name is not a valid schedule name.";
            summary.Responses[404] = "No schedule has this name.";
            summary.Responses[409] = "The schedule is defined in configuration; remove it there.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(ScheduleNameRequest req, CancellationToken ct)
    {
        if (await store.DeleteFromApiAsync(req.Name, ct))
        {
            ScheduleResponses.ScheduleChanged(logger, req.Name, "deleted");
            await Send.NoContentAsync(ct);
            return;
        }

        // Nothing from the API was deleted. A second read separates a missing schedule from one in configuration.
        if (await store.GetAsync(req.Name, ct) is null)
        {
            await ScheduleResponses.SendNotFoundAsync(HttpContext, req.Name);
            return;
        }

        await ScheduleResponses.SendFromConfigurationAsync(HttpContext, req.Name, "deleted");
    }
}
