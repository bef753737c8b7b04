using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Schedules;

public sealed class PutScheduleEndpoint(
    ScheduleStore store, IOptions<ApiOptions> options, TimeProvider timeProvider, ILogger<PutScheduleEndpoint> logger)
    : Endpoint<PutScheduleRequest, Schedule>
{
    public override void Configure()
    {
        Put("/v1/schedules/{name}");
        AllowAnonymous();
        DontThrowIfValidationFails();
        Description(
            builder => builder
                .WithName("putSchedule")
                .Accepts<PutScheduleRequest>(OpenApiDescriptions.Json)
                .Produces<Schedule>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .Produces<Schedule>(StatusCodes.Status201Created, OpenApiDescriptions.Json)
                .ProducesProblems(400, 409, 413, 415, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Create or replace a schedule";
            summary.Description =
                "Stores a recurring schedule under the name in the path. 'cron' has 5 fields (minute hour day-of-month " +
                "month day-of-week) or 6 (second first) and is read in 'time_zone' (an IANA name, UTC when omitted). " +
                "At each slot one job is enqueued from 'job', whichever number of workers run. Omitted fields take " +
                "defaults: enabled true, missed 'skip', catch_up_limit 10, overlap 'allow', and the enqueue defaults " +
                "for the job. Replacing a schedule keeps its next slot when cron, time_zone and enabled are unchanged. " +
                "Changes apply without a restart, within Cron:PollInterval (1 second by default).";
            summary.Params["name"] = "Schedule name: 1 to 100 letters, digits, '.', '_' or '-'.";
            summary.Responses[200] = "The schedule replaced an earlier one of the same name.";
            summary.Responses[201] = "The schedule was created; the Location header points at it.";
            summary.Responses[400] = "Invalid JSON, or an invalid name, cron expression, time zone or job field; 'errors' names each.";
            summary.Responses[409] = "A schedule of this name is defined in configuration.";
            summary.Responses[413] = "The body is larger than Api:MaxRequestBodyBytes.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was stored.";
        });
    }

    public override async Task HandleAsync(PutScheduleRequest req, CancellationToken ct)
    {
        var name = Route<string>("name", isRequired: false) ?? "";
        if (ScheduleRules.CheckName(name) is { } nameError)
        {
            ValidationFailures.Add(new FluentValidation.Results.ValidationFailure("name", nameError));
        }

        ThrowIfAnyErrors();

        var job = ScheduleMapping.WithDefaults(req.Job!, options.Value.DefaultMaxAttempts);
        var row = ScheduleMapping.ToRow(name, req, job, ScheduleSource.Api, timeProvider.GetUtcNow());
        var stored = await store.UpsertFromApiAsync(row, ct);
        if (stored is not { } result)
        {
            await ScheduleResponses.SendFromConfigurationAsync(HttpContext, name, "replaced");
            return;
        }

        ScheduleResponses.ScheduleChanged(logger, name, result.Created ? "created" : "replaced");
        var schedule = ScheduleMapping.ToContract(result.Row);
        if (result.Created)
        {
            HttpContext.Response.Headers.Location = ScheduleResponses.SchedulePath(name);
            await Send.ResponseAsync(schedule, StatusCodes.Status201Created, ct);
            return;
        }

        await Send.OkAsync(schedule, ct);
    }
}
