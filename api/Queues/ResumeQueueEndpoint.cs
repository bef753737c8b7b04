using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Queues;

public sealed class ResumeQueueEndpoint(QueueStore queues, JobStore jobs, ILogger<ResumeQueueEndpoint> logger)
    : Endpoint<QueueNameRequest, QueueSummary>
{
    public override void Configure()
    {
        Post("/v1/queues/{name}/resume");
        AllowAnonymous();
        RequestBinder(new RequestBinder<QueueNameRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("resumeQueue")
                .Accepts<QueueNameRequest>("*/*")
                .Produces<QueueSummary>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Resume a queue";
            summary.Description =
                "Workers claim the queue's jobs again and are woken at once. Resuming a queue that is not paused " +
                "changes nothing. The request has no body.";
            summary.Responses[200] = "The queue after the change.";
            summary.Responses[400] = "The name is not a valid queue name.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(QueueNameRequest req, CancellationToken ct)
    {
        await queues.ResumeAsync(req.Name, ct);
        ApiLog.QueueResumed(logger, req.Name);
        await Send.OkAsync(await QueueSummaries.FindAsync(jobs, req.Name, ct), ct);
    }
}
