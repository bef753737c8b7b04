using JobQueue.Api.Errors;
using JobQueue.Contracts;

namespace JobQueue.Api.Access;

/// <summary>Checks of the queues a request touches against a queue-limited API key, for the endpoints that enforce them.</summary>
internal static class QueueAccess
{
    /// <summary>Returns a 403 problem naming the first queue the caller may not use, or null when it may use them all.</summary>
    public static ApiProblem? Reject(HttpContext context, IEnumerable<string> queues)
    {
        var caller = ApiCaller.Of(context);
        if (caller.Queues is null)
        {
            return null;
        }

        var denied = queues.FirstOrDefault(queue => !caller.MayUseQueue(queue));
        return denied is null
            ? null
            : ApiProblem.Create(context, StatusCodes.Status403Forbidden, ProblemTypes.Forbidden,
                $"The key {caller.KeyName} may not use the queue '{denied}'; it is limited to {string.Join(", ", caller.Queues)}.");
    }
}
