using FastEndpoints;
using JobQueue.Api.Access;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

public sealed class GetJobEndpoint(JobStore store, WebhookEndpointStore attempts, TimeProvider timeProvider)
    : Endpoint<GetJobRequest, Job>
{
    public override void Configure()
    {
        Get("/v1/jobs/{id}");
        AllowAnonymous();
        Options(builder => builder.WithMetadata(QueueLimitsEnforced.Instance));

        // Only the route value and the query are bound, so a stray body cannot change the id.
        RequestBinder(new RequestBinder<GetJobRequest>(BindingSource.RouteValues | BindingSource.QueryParams));
        Description(
            builder => builder
                .WithName("getJob")

                // Declares the route DTO so the document types the id parameter; "*/*" keeps bodiless
                // requests from being rejected for their Content-Type.
                .Accepts<GetJobRequest>("*/*")
                .Produces<Job>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Get a job";
            summary.Description =
                "Returns the job with its errors and the records of its webhook attempts so far. With wait, the response is sent as soon as the " +
                "job is completed, cancelled or discarded, or when the wait is over, whichever is first.";
            summary.Responses[200] = "The job; after a wait that ran out, in the state it has then.";
            summary.Responses[400] = "The id is not an integer in the range of a 64-bit signed integer, or wait is invalid.";
            summary.Responses[404] = "No job has this id.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    /// <summary>
    /// Interval at which a waiting request reads the job again, so a lost notification (the
    /// LISTEN connection dropped, or a final state written by something that does not notify)
    /// delays the response by at most this long.
    /// </summary>
    public static readonly TimeSpan WaitPollInterval = TimeSpan.FromSeconds(1);

    public override async Task HandleAsync(GetJobRequest req, CancellationToken ct)
    {
        // A job of a queue the key may not read is reported missing, so the key learns nothing of it.
        var job = await store.GetAsync(req.Id, ct);
        if (job is null || !ApiCaller.Of(HttpContext).MayUseQueue(job.Queue))
        {
            await Send.ResultAsync(ApiProblemResults.JobNotFound(HttpContext, req.Id).ToResult());
            return;
        }

        if (req.Wait is not null && GetJobValidator.TryParseWait(req.Wait, out var wait) && wait > TimeSpan.Zero)
        {
            job = await WaitForFinalAsync(job, wait, ct);
        }

        await Send.OkAsync(job with { Attempts = await attempts.ListAttemptsAsync(job.Id, ct) }, ct);
    }

    // Each round registers with the listener before it reads, so a notification sent after the
    // read wakes it. The loop ends at the deadline, which is at most GetJobValidator.MaxWait away.
    private async Task<Job> WaitForFinalAsync(Job job, TimeSpan wait, CancellationToken ct)
    {
        var listener = HttpContext.RequestServices.GetRequiredService<JobFinishedListener>();
        var deadline = timeProvider.GetUtcNow() + wait;
        while (true)
        {
            using var watch = listener.Watch(job.Id);
            job = await store.GetAsync(job.Id, ct) ?? job;
            var left = deadline - timeProvider.GetUtcNow();
            if (JobStates.IsFinal(job.State) || left <= TimeSpan.Zero)
            {
                return job;
            }

            await watch.WaitAsync(left < WaitPollInterval ? left : WaitPollInterval, timeProvider, ct);
        }
    }
}
