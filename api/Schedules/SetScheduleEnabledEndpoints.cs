using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;

namespace JobQueue.Api.Schedules;

public sealed class EnableScheduleEndpoint(ScheduleStore store, TimeProvider timeProvider, ILogger<EnableScheduleEndpoint> logger)
    : Endpoint<ScheduleNameRequest, Schedule>
{
    public override void Configure()
    {
        Post("/v1/schedules/{name}/enable");
        AllowAnonymous();
        RequestBinder(new RequestBinder<ScheduleNameRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("enableSchedule")
                .Accepts<ScheduleNameRequest>("*/*")
                .Produces<Schedule>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Enable a schedule";
            summary.Description =
                "Starts enqueueing at the schedule's slots again, from the first slot after now: slots that passed " +
                "while it was disabled are not missed slots and do not run. Enabling an enabled schedule changes " +
                "nothing. A schedule from configuration stays enabled until its configuration entry changes. " +
                "The request has no body.";
            summary.Responses[200] = "The schedule after the change.";
            summary.Responses[400] = "The name is not a valid schedule name.";
            summary.Responses[404] = "No schedule has this name.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(ScheduleNameRequest req, CancellationToken ct)
    {
        var changed = await ScheduleEnabling.SetAsync(store, req.Name, enabled: true, timeProvider, ct);
        if (changed is null)
        {
            await ScheduleResponses.SendNotFoundAsync(HttpContext, req.Name);
            return;
        }

        ScheduleResponses.ScheduleChanged(logger, req.Name, "enabled");
        await Send.OkAsync(ScheduleMapping.ToContract(changed), ct);
    }
}

public sealed class DisableScheduleEndpoint(ScheduleStore store, TimeProvider timeProvider, ILogger<DisableScheduleEndpoint> logger)
    : Endpoint<ScheduleNameRequest, Schedule>
{
    public override void Configure()
    {
        Post("/v1/schedules/{name}/disable");
        AllowAnonymous();
        RequestBinder(new RequestBinder<ScheduleNameRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("disableSchedule")
                .Accepts<ScheduleNameRequest>("*/*")
                .Produces<Schedule>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Disable a schedule";
            summary.Description =
                "Stops enqueueing at the schedule's slots; jobs already enqueued are not touched, and run now still " +
                "works. A schedule from configuration stays disabled until its configuration entry changes. " +
                "The request has no body.";
            summary.Responses[200] = "The schedule after the change.";
            summary.Responses[400] = "The name is not a valid schedule name.";
            summary.Responses[404] = "No schedule has this name.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(ScheduleNameRequest req, CancellationToken ct)
    {
        var changed = await ScheduleEnabling.SetAsync(store, req.Name, enabled: false, timeProvider, ct);
        if (changed is null)
        {
            await ScheduleResponses.SendNotFoundAsync(HttpContext, req.Name);
            return;
        }

        ScheduleResponses.ScheduleChanged(logger, req.Name, "disabled");
        await Send.OkAsync(ScheduleMapping.ToContract(changed), ct);
    }
}

internal static class ScheduleEnabling
{
    /// <summary>Sets the flag and returns the changed row, or null when the schedule does not exist.</summary>
    public static Task<ScheduleRow?> SetAsync(
        ScheduleStore store, string name, bool enabled, TimeProvider timeProvider, CancellationToken ct)
    {
        var now = timeProvider.GetUtcNow();
        return store.SetEnabledAsync(name, enabled, row => NextSlot(row, now), ct);
    }

    private static DateTimeOffset? NextSlot(ScheduleRow row, DateTimeOffset now)
    {
        var cron = ScheduleRules.ParseCron(row.Cron, out _);
        var zone = ScheduleRules.FindTimeZone(row.TimeZone, out _);
        return cron is null || zone is null ? null : cron.GetNextOccurrence(now, zone, inclusive: false);
    }
}
