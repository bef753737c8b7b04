using System.Globalization;
using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Contracts;

namespace JobQueue.Api.Schedules;

/// <summary>Problem responses and log messages shared by the schedule endpoints.</summary>
internal static partial class ScheduleResponses
{
    public static string SchedulePath(string name) => "/v1/schedules/" + name;

    public static Task SendNotFoundAsync(HttpContext context, string name) =>
        context.Response.SendResultAsync(ApiProblem.Create(context, StatusCodes.Status404NotFound, ProblemTypes.NotFound,
            $"No schedule is named '{name}'.").ToResult());

    public static Task SendFromConfigurationAsync(HttpContext context, string name, string action) =>
        context.Response.SendResultAsync(ApiProblem.Create(context, StatusCodes.Status409Conflict, ProblemTypes.InvalidState,
            $"Schedule '{name}' is defined in configuration (Schedules:{name}), so it cannot be {action} over the API. " +
            "Change the configuration and restart the hosts, or use another name. It can still be enabled, disabled, run and deleted.")
            .ToResult());

    public static string JobPath(long id) => "/v1/jobs/" + id.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 2061, Level = LogLevel.Information, Message = "Schedule {Schedule} {Change} over the API")]
    public static partial void ScheduleChanged(ILogger logger, string schedule, string change);

    [LoggerMessage(EventId = 2062, Level = LogLevel.Information, Message = "Schedule {Schedule} run now as job {JobId}")]
    public static partial void ScheduleRunNow(ILogger logger, string schedule, long jobId);
}
