using System.Collections.Concurrent;
using System.Diagnostics;

namespace JobQueue.Bench;

/// <summary>The measurements of this service. Each returns the members of one result record.</summary>
internal sealed class Workloads(BenchOptions options, Database database, ServiceHosts hosts)
{
    private const string WebhookSecret = "whsec_MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=";

    private DateTime Deadline => DateTime.UtcNow.AddSeconds(options.TimeLimitSeconds);

    // Seconds of the same enqueue load before a single or bulk measurement, so that it measures a
    // warmed-up process; the peers get the same.
    private DateTime WarmupEnd => DateTime.UtcNow.AddSeconds(Math.Min(options.Double("warmup", 0), options.TimeLimitSeconds / 2));

    private static double NowUnixMs() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

    /// <summary>One job per request from many concurrent clients; no worker runs.</summary>
    public async Task<Dictionary<string, object>> SingleAsync()
    {
        var clients = options.Int("clients", 32);
        var jobs = options.Int("jobs", 20000);
        await using var api = await hosts.StartApiAsync();
        using var load = new Load(hosts.ApiUrl, clients);
        await Load.ClosedLoopAsync(clients, Math.Min(2000, jobs / 5), Deadline, s => load.EnqueueOneAsync("noop", (int)s));
        await Load.ClosedLoopAsync(clients, 10_000_000, WarmupEnd, s => load.EnqueueOneAsync("noop", (int)s));
        var (count, seconds) = await Load.ClosedLoopAsync(clients, jobs, Deadline, s => load.EnqueueOneAsync("noop", (int)s));
        return new() { ["value"] = count / seconds, ["unit"] = "jobs/s", ["jobs"] = count, ["clients"] = clients };
    }

    /// <summary>1,000 jobs per request from a few concurrent clients; no worker runs.</summary>
    public async Task<Dictionary<string, object>> BulkAsync()
    {
        var clients = options.Int("clients", 4);
        var batch = options.Int("batch", 1000);
        var jobs = options.Int("jobs", 200000);
        await using var api = await hosts.StartApiAsync();
        using var load = new Load(hosts.ApiUrl, clients);
        await Load.ClosedLoopAsync(clients, 5, Deadline, s => load.EnqueueBatchAsync("noop", 0, batch));
        await Load.ClosedLoopAsync(clients, 10_000, WarmupEnd, s => load.EnqueueBatchAsync("noop", 0, batch));
        var (count, seconds) = await Load.ClosedLoopAsync(
            clients, jobs / batch, Deadline, s => load.EnqueueBatchAsync("noop", (int)s * batch, batch));
        return new() { ["value"] = count * batch / seconds, ["unit"] = "jobs/s", ["jobs"] = count * batch, ["clients"] = clients, ["batch"] = batch };
    }

    /// <summary>Pre-enqueued jobs worked by one worker host, from the first start to the last completion.</summary>
    public async Task<Dictionary<string, object>> DrainAsync(bool webhook, long baseline = 0)
    {
        var jobs = options.Int("jobs", 100000);
        var kind = webhook ? "bench.hook" : "noop";
        await using (var api = await hosts.StartApiAsync())
        {
            using var load = new Load(hosts.ApiUrl, 4);
            await Load.ClosedLoopAsync(4, (jobs + 999) / 1000, Deadline,
                s => load.EnqueueBatchAsync(kind, (int)s * 1000, (int)Math.Min(1000, jobs - s * 1000)));
        }

        var extra = new Dictionary<string, string>();
        WebApplication? receiver = null;
        if (webhook)
        {
            receiver = await Receiver.StartAsync(options.ReceiverPort);
            extra["Webhooks__Routes__0__Kind"] = kind;
            extra["Webhooks__Routes__0__Url"] = $"http://127.0.0.1:{options.ReceiverPort}/hook";
            extra["Webhooks__Routes__0__Secret"] = WebhookSecret;
            extra["Webhooks__AllowHttp"] = "true";
            extra["Webhooks__AllowedNetworks__0"] = "127.0.0.0/8";
        }

        try
        {
            await using var worker = hosts.StartWorker(extra);
            var done = await WaitForCompletedAfterAsync(baseline, jobs, Deadline);
            var seconds = await database.ScalarAsync<double>(
                "SELECT extract(epoch FROM max(finished_at) - min(attempted_at)) FROM jobqueue.jobs WHERE id > $1 AND state = 'completed'",
                baseline);
            return new()
            {
                ["value"] = done / seconds, ["unit"] = "jobs/s", ["jobs"] = done, ["complete"] = done >= jobs,
                ["worker_queues"] = options.WorkerQueues,
            };
        }
        finally
        {
            if (receiver is not null)
            {
                await receiver.StopAsync();
                await receiver.DisposeAsync();
            }
        }
    }

    // Waits until no job after the baseline is left to run, then counts the completed ones. The
    // poll checks whether any unfinished job is left, which reads one entry of the (state, id)
    // index, so the finished jobs of the history workload cost it nothing. Counting them instead
    // read every completed row ten times a second (64 ms of PostgreSQL's CPU per poll over 5
    // million rows). Counting the unfinished ones took 38 ms per poll at the start of a
    // 100,000-job drain, 2.9 s of PostgreSQL's time over an 11 s webhook drain.
    private async Task<long> WaitForCompletedAfterAsync(long baseline, long count, DateTime deadline)
    {
        await WaitUntilFinishedAsync(baseline, deadline);
        return Math.Min(count, await CompletedAfterAsync(baseline));
    }

    // Waits until no job after the baseline is left to run, or the deadline passes.
    private async Task WaitUntilFinishedAsync(long baseline, DateTime deadline)
    {
        while (DateTime.UtcNow < deadline && await AnyUnfinishedAfterAsync(baseline))
        {
            await Task.Delay(100);
        }
    }

    private Task<long> UnfinishedAfterAsync(long baseline) => database.ScalarAsync<long>(
        "SELECT count(*) FROM jobqueue.jobs WHERE state IN ('available', 'running', 'retryable', 'scheduled') AND id > $1",
        baseline);

    private Task<bool> AnyUnfinishedAfterAsync(long baseline) => database.ScalarAsync<bool>(
        "SELECT EXISTS (SELECT FROM jobqueue.jobs WHERE state IN ('available', 'running', 'retryable', 'scheduled') AND id > $1)",
        baseline);

    private Task<long> CompletedAfterAsync(long baseline) => database.ScalarAsync<long>(
        "SELECT count(*) FROM jobqueue.jobs WHERE id > $1 AND state = 'completed'", baseline);

    /// <summary>The drain with many finished jobs already in the table.</summary>
    public async Task<Dictionary<string, object>> HistoryAsync()
    {
        var history = options.Int("history", 5_000_000);
        var stopwatch = Stopwatch.StartNew();
        await database.ExecuteAsync($"""
            INSERT INTO jobqueue.jobs (queue, kind, args, priority, effective_priority, state, attempt, max_attempts,
                                       scheduled_at, created_at, attempted_at, finished_at)
            SELECT 'default', 'noop', jsonb_build_object('n', n), 0, 0, 'completed', 1, 20,
                   now() - interval '2 hours', now() - interval '2 hours', now() - interval '1 hour', now() - interval '1 hour'
            FROM generate_series(1, {history}) AS n
            """);
        await database.ExecuteAsync("VACUUM ANALYZE jobqueue.jobs");
        var setupSeconds = stopwatch.Elapsed.TotalSeconds;
        var baseline = await database.ScalarAsync<long>("SELECT coalesce(max(id), 0) FROM jobqueue.jobs");
        var record = await DrainAsync(webhook: false, baseline);
        record["history_rows"] = history;
        record["setup_seconds"] = Math.Round(setupSeconds, 1);
        return record;
    }

    /// <summary>
    /// Jobs enqueued at a steady rate while the worker runs: from the enqueue's response to the
    /// start of the handler, which the built-in <c>clock</c> kind stores as its result.
    /// </summary>
    public async Task<Dictionary<string, object>> LatencyAsync()
    {
        var rate = options.Double("rate", 20);
        var seconds = options.Double("seconds", 10);
        await using var api = await hosts.StartApiAsync();
        await using var worker = hosts.StartWorker();
        await Task.Delay(TimeSpan.FromSeconds(options.Double("settle", 2)));
        using var load = new Load(hosts.ApiUrl, 32);
        var warmup = options.Double("warmup", 0);
        if (warmup > 0)
        {
            // The same rate first, not counted, until its jobs have run. The first jobs after a
            // host starts run code for the first time (in .NET, code compiled on first use), and
            // every system gets the same warm-up.
            await OpenLoopAsync(load, "clock", rate, warmup);
            await WaitUntilFinishedAsync(0, DateTime.UtcNow.AddSeconds(60));
        }

        var (responded, offered, elapsed) = await OpenLoopAsync(load, "clock", rate, seconds);
        await Task.Delay(TimeSpan.FromSeconds(2));
        var ids = responded.Keys.ToArray();
        var waitUntil = DateTime.UtcNow.AddSeconds(30);
        Dictionary<long, double> starts;
        do
        {
            starts = await database.StartTimesAsync(ids);
            if (starts.Count >= ids.Length)
            {
                break;
            }

            await Task.Delay(200);
        }
        while (DateTime.UtcNow < waitUntil);

        var latencies = ids.Where(starts.ContainsKey).Select(id => starts[id] - responded[id]).ToList();
        var record = Stats.Latency(latencies);
        record["offered_rate"] = Math.Round(rate, 1);
        record["achieved_rate"] = Math.Round(offered / elapsed, 1);
        record["not_started"] = ids.Length - latencies.Count;
        record["worker_queues"] = options.WorkerQueues;
        return record;
    }

    /// <summary>
    /// Enqueues at <paramref name="rate"/> jobs per second for <paramref name="seconds"/>: one job per
    /// request below 200 per second, otherwise a batch every 10 ms. Returns each job's response time.
    /// </summary>
    private static async Task<(ConcurrentDictionary<long, double> Responded, long Jobs, double Seconds)> OpenLoopAsync(
        Load load, string kind, double rate, double seconds)
    {
        var responded = new ConcurrentDictionary<long, double>();
        var tick = rate < 200 ? TimeSpan.FromSeconds(1 / rate) : TimeSpan.FromMilliseconds(10);
        var perTick = rate < 200 ? 1 : (int)Math.Max(1, Math.Round(rate * tick.TotalSeconds));
        var ticks = (int)(seconds / tick.TotalSeconds);
        using var inFlight = new SemaphoreSlim(32);
        var pending = new List<Task>();
        var stopwatch = Stopwatch.StartNew();
        long jobs = 0;
        for (var i = 0; i < ticks; i++)
        {
            var due = tick * i;
            var wait = due - stopwatch.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            await inFlight.WaitAsync();
            var start = i * perTick;
            jobs += perTick;
            pending.Add(Task.Run(async () =>
            {
                try
                {
                    var ids = perTick == 1 ? [await load.EnqueueOneAsync(kind, start)] : await load.EnqueueBatchAsync(kind, start, perTick);
                    var at = NowUnixMs();
                    foreach (var id in ids)
                    {
                        responded[id] = at;
                    }
                }
                finally
                {
                    inFlight.Release();
                }
            }));
        }

        await Task.WhenAll(pending);
        return (responded, jobs, stopwatch.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Enqueue and work at once, as a service in production does. Four clients send batches of
    /// 1,000 jobs over HTTP while one worker host runs them. A client sends its next batch only
    /// while fewer than 'backlog' jobs (20,000) wait or run. The rate is the jobs completed per
    /// second over the measured window: what the API, the worker and PostgreSQL sustain together
    /// on the machine, where the drain measures the worker alone.
    /// </summary>
    public async Task<Dictionary<string, object>> SustainedAsync()
    {
        var seconds = options.Double("seconds", 20);
        var backlogLimit = options.Int("backlog", 20_000);
        await using var api = await hosts.StartApiAsync();
        await using var worker = hosts.StartWorker();
        using var load = new Load(hosts.ApiUrl, 4);
        long backlog = 0;
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Interlocked.Exchange(ref backlog, await UnfinishedAfterAsync(0));
                await Task.Delay(100, CancellationToken.None);
            }
        });

        async Task EnqueueWhenRoomAsync(long sequence, DateTime until)
        {
            while (Interlocked.Read(ref backlog) >= backlogLimit && DateTime.UtcNow < until)
            {
                await Task.Delay(5);
            }

            if (DateTime.UtcNow < until)
            {
                // Each job gets its own args, as in the other workloads. The numbers wrap before they overflow an int.
                var ids = await load.EnqueueBatchAsync("noop", (int)(sequence % 1_000_000) * 1000, 1000);
                Interlocked.Add(ref backlog, ids.Length);
            }
        }

        // The same load first, not counted, as in the enqueue workloads, so that the measurement
        // runs against warmed-up processes.
        var warmupEnd = WarmupEnd;
        await Load.ClosedLoopAsync(4, long.MaxValue, warmupEnd, s => EnqueueWhenRoomAsync(s, warmupEnd));
        var completedBefore = await CompletedAfterAsync(0);
        var end = DateTime.UtcNow.AddSeconds(seconds);
        var (_, elapsed) = await Load.ClosedLoopAsync(4, long.MaxValue, end, s => EnqueueWhenRoomAsync(s, end));
        var completed = await CompletedAfterAsync(0) - completedBefore;
        await stop.CancelAsync();
        await watcher;
        return new()
        {
            ["value"] = completed / elapsed, ["unit"] = "jobs/s", ["jobs"] = completed, ["seconds"] = Math.Round(elapsed, 1),
            ["backlog_limit"] = backlogLimit, ["worker_queues"] = options.WorkerQueues,
        };
    }

    /// <summary>A long run at a steady rate: resident memory of both hosts and table size over time.</summary>
    public async Task<Dictionary<string, object>> SoakAsync()
    {
        var rate = options.Double("rate", 1000);
        var seconds = options.Double("seconds", 600);
        var sampleSeconds = options.Double("sample", 10);
        var retention = options.Text("retention", "00:01:00");
        await using var api = await hosts.StartApiAsync();
        await using var worker = hosts.StartWorker(new Dictionary<string, string>
        {
            ["Worker__Retention__Completed"] = retention,
            ["Worker__RetentionInterval"] = "00:00:10",
        });
        using var load = new Load(hosts.ApiUrl, 32);
        var samples = new List<Dictionary<string, object>>();
        var stopwatch = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                samples.Add(new()
                {
                    ["t_s"] = Math.Round(stopwatch.Elapsed.TotalSeconds),
                    ["api_rss_mib"] = api.RssMiB(),
                    ["worker_rss_mib"] = worker.RssMiB(),
                    ["table_mib"] = Math.Round(await database.ScalarAsync<long>("SELECT pg_total_relation_size('jobqueue.jobs')") / 1048576.0, 1),
                    ["rows"] = await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs"),
                    ["unfinished"] = await UnfinishedAfterAsync(0),
                });
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(sampleSeconds), stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });
        var (_, jobs, elapsed) = await OpenLoopAsync(load, "noop", rate, seconds);
        await stop.CancelAsync();
        await sampler;
        var completed = await database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE state = 'completed'");
        return new()
        {
            ["offered_rate"] = rate, ["achieved_rate"] = Math.Round(jobs / elapsed, 1), ["retention"] = retention,
            ["completed_rows_at_end"] = completed, ["samples"] = samples,
        };
    }
}
