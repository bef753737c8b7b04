using JobQueue.Api.Errors;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.WebhookEndpoints;

/// <summary>Problem responses of the endpoint API.</summary>
internal static class EndpointProblems
{
    public static ApiProblem NotFound(HttpContext context, long id) => ApiProblem.Create(
        context, StatusCodes.Status404NotFound, ProblemTypes.NotFound, $"No webhook endpoint has id {id}.");

    public static ApiProblem KindTaken(HttpContext context, KindConflict conflict) => ApiProblem.Create(
        context, StatusCodes.Status409Conflict, ProblemTypes.EndpointKindTaken,
        $"Webhook endpoint {conflict.EndpointId} already serves {string.Join(", ", conflict.Kinds.Select(k => $"'{k}'"))}. " +
        "A kind is delivered to one endpoint; remove it from that endpoint first.");
}
