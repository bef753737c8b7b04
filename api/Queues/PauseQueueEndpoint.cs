using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Queues;

public sealed class PauseQueueEndpoint(QueueStore queues, JobStore jobs, ILogger<PauseQueueEndpoint> logger)
    : Endpoint<QueueNameRequest, QueueSummary>
{
    public override void Configure()
    {
        Post("/v1/queues/{name}/pause");
        AllowAnonymous();
        RequestBinder(new RequestBinder<QueueNameRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("pauseQueue")
                .Accepts<QueueNameRequest>("*/*")
                .Produces<QueueSummary>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Pause a queue";
            summary.Description =
                "Workers stop claiming the queue's jobs; attempts already running finish. The queue keeps accepting " +
                "jobs. Pausing a paused queue, or a queue that has no jobs yet, is allowed. The request has no body.";
            summary.Responses[200] = "The queue after the change.";
            summary.Responses[400] = "The name is not a valid queue name.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(QueueNameRequest req, CancellationToken ct)
    {
        await queues.PauseAsync(req.Name, ct);
        ApiLog.QueuePaused(logger, req.Name);
        await Send.OkAsync(await QueueSummaries.FindAsync(jobs, req.Name, ct), ct);
    }
}

/// <summary>Looks up one queue's summary for the queue endpoints' responses.</summary>
internal static class QueueSummaries
{
    public static async Task<QueueSummary> FindAsync(JobStore jobs, string name, CancellationToken ct) =>
        (await jobs.CountByQueueAsync(ct)).FirstOrDefault(q => q.Name == name) ?? new QueueSummary { Name = name };
}
