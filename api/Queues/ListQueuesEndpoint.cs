using FastEndpoints;
using JobQueue.Api.Access;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Queues;

public sealed class ListQueuesEndpoint(JobStore store) : EndpointWithoutRequest<QueueList>
{
    public override void Configure()
    {
        Get("/v1/queues");
        AllowAnonymous();
        Options(builder => builder.WithMetadata(QueueLimitsEnforced.Instance));
        Description(
            builder => builder
                .WithName("listQueues")
                .Produces<QueueList>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "List queues";
            summary.Description = "Returns every queue that holds at least one job, by name, with job counts by state.";
            summary.Responses[200] = "The queues.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        // A queue-limited key sees its own queues only.
        var caller = ApiCaller.Of(HttpContext);
        var queues = (await store.CountByQueueAsync(ct)).Where(queue => caller.MayUseQueue(queue.Name)).ToList();
        await Send.OkAsync(new QueueList { Queues = queues }, ct);
    }
}
