using FastEndpoints;
using FluentValidation;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Stats;

/// <summary>Query parameters of <c>GET /v1/stats</c>.</summary>
public sealed class GetStatsRequest
{
    /// <summary>Minutes of throughput history, 5 to 1440; 60 when omitted. The window is cut into 60 buckets.</summary>
    [QueryParam, BindFrom("window_minutes")]
    public int? WindowMinutes { get; set; }
}

public sealed class GetStatsValidator : Validator<GetStatsRequest>
{
    public GetStatsValidator()
    {
        RuleFor(request => request.WindowMinutes)
            .InclusiveBetween(GetStatsEndpoint.MinWindowMinutes, GetStatsEndpoint.MaxWindowMinutes)
            .OverridePropertyName("window_minutes")
            .WithMessage($"window_minutes must be between {GetStatsEndpoint.MinWindowMinutes} and " +
                $"{GetStatsEndpoint.MaxWindowMinutes}.");
    }
}

public sealed class GetStatsEndpoint(JobStore store, TimeProvider timeProvider) : Endpoint<GetStatsRequest, QueueStats>
{
    public const int MinWindowMinutes = 5;
    public const int MaxWindowMinutes = 1440;
    public const int DefaultWindowMinutes = 60;

    /// <summary>Buckets per window, so a bucket lasts window_minutes seconds.</summary>
    public const int BucketCount = 60;

    public override void Configure()
    {
        Get("/v1/stats");
        AllowAnonymous();
        RequestBinder(new RequestBinder<GetStatsRequest>(BindingSource.QueryParams));
        Description(
            builder => builder
                .WithName("getStats")
                .Accepts<GetStatsRequest>("*/*")
                .Produces<QueueStats>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Queue statistics";
            summary.Description =
                "Returns per queue the job counts by state, whether it is paused, and its latency (how long its " +
                "longest-waiting available job has been due), with the counts of all queues added up. throughput " +
                "counts the jobs that became completed, cancelled or discarded in each of 60 buckets of the window, " +
                "oldest first, empty buckets included. Jobs deleted by retention are no longer counted. On a table of " +
                "more than 100,000 rows the finished counts, and the throughput of windows over an hour, are " +
                "estimated from a 1% sample of the table's pages, and estimated is true.";
            summary.Responses[200] = "The figures.";
            summary.Responses[400] = "window_minutes is out of range.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(GetStatsRequest req, CancellationToken ct)
    {
        var now = timeProvider.GetUtcNow();
        var bucketSeconds = (req.WindowMinutes ?? DefaultWindowMinutes) * 60 / BucketCount;
        var bucketTicks = TimeSpan.FromSeconds(bucketSeconds).Ticks;
        var lastStart = new DateTimeOffset(now.UtcTicks - (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) % bucketTicks,
            TimeSpan.Zero);
        var firstStart = lastStart.AddTicks(-bucketTicks * (BucketCount - 1));

        // On a large table, counting every finished job would take seconds, so those counts, and
        // the throughput of windows longer than an hour, are estimated from a sample.
        var (queues, estimated) = await store.CountByQueueCheaplyAsync(ct);
        var estimateThroughput = estimated && (req.WindowMinutes ?? DefaultWindowMinutes) > DefaultWindowMinutes;
        var oldest = await store.OldestAvailableByQueueAsync(ct);
        var finished = (await store.CountFinishedPerBucketAsync(firstStart, bucketSeconds, estimateThroughput, ct))
            .ToDictionary(bucket => bucket.Start.UtcTicks);

        var throughput = new List<ThroughputBucket>(BucketCount);
        for (var i = 0; i < BucketCount; i++)
        {
            var start = firstStart.AddTicks(bucketTicks * i);
            finished.TryGetValue(start.UtcTicks, out var counts);
            throughput.Add(new ThroughputBucket
            {
                Start = start,
                Completed = counts?.Completed ?? 0,
                Cancelled = counts?.Cancelled ?? 0,
                Discarded = counts?.Discarded ?? 0,
            });
        }

        var entries = queues.Select(queue =>
        {
            var since = oldest.TryGetValue(queue.Name, out var at) ? at : (DateTimeOffset?)null;
            return new QueueStatsEntry
            {
                Name = queue.Name,
                Counts = queue.Counts,
                Paused = queue.Paused,
                PausedAt = queue.PausedAt,
                OldestAvailableAt = since,
                LatencySeconds = since is null ? 0 : Math.Max(0, (now - since.Value).TotalSeconds),
            };
        }).ToList();

        await Send.OkAsync(new QueueStats
        {
            GeneratedAt = now,
            Queues = entries,
            Totals = Sum(queues.Select(queue => queue.Counts)),
            Estimated = estimated,
            BucketSeconds = bucketSeconds,
            Throughput = throughput,
        }, ct);
    }

    private static JobStateCounts Sum(IEnumerable<JobStateCounts> counts) => counts.Aggregate(
        new JobStateCounts(),
        (total, next) => new JobStateCounts
        {
            Scheduled = total.Scheduled + next.Scheduled,
            Available = total.Available + next.Available,
            Running = total.Running + next.Running,
            Retryable = total.Retryable + next.Retryable,
            Completed = total.Completed + next.Completed,
            Cancelled = total.Cancelled + next.Cancelled,
            Discarded = total.Discarded + next.Discarded,
        });
}
