using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Npgsql;

// Runs one benchmark workload against Hangfire with Hangfire.PostgreSql and prints one JSON record
// on its last line. The producer runs here; the server runs in a child process (this program with
// --role server), so latencies cross processes. Times are Stopwatch timestamps, which on Linux
// read CLOCK_MONOTONIC in nanoseconds and so compare across processes.
var options = args.Select((a, i) => (a, i)).Where(p => p.a.StartsWith("--", StringComparison.Ordinal) && p.i + 1 < args.Length)
    .ToDictionary(p => p.a[2..], p => args[p.i + 1]);
string Opt(string name, string fallback) => options.GetValueOrDefault(name, fallback);
double Num(string name, double fallback) => double.Parse(Opt(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

var admin = Opt("pg", "Host=127.0.0.1;Port=26000;Username=postgres;Database=postgres");
var dbName = Opt("db", "bench_hangfire");
var connectionString = new NpgsqlConnectionStringBuilder(admin) { Database = dbName, MaxPoolSize = 100 }.ConnectionString;
var fast = Opt("config", "default") == "fast";
var workload = Opt("workload", "single");
var jobs = (int)Num("jobs", 10000);
var timeLimit = TimeSpan.FromSeconds(Num("time-limit", 60));

// Defaults: a 15 s queue poll and the default worker count. The fast configuration turns on the
// storage's LISTEN/NOTIFY wake-up (EnableLongPolling), polls every 100 ms and runs 50 workers.
var storageOptions = new PostgreSqlStorageOptions { PrepareSchemaIfNecessary = true };
if (fast)
{
    storageOptions.EnableLongPolling = true;
    storageOptions.QueuePollInterval = TimeSpan.FromMilliseconds(100);
}

var storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions);
GlobalConfiguration.Configuration.UseStorage(storage).UseSimpleAssemblyNameTypeSerializer().UseRecommendedSerializerSettings();

if (Opt("role", "producer") == "server")
{
    var serverOptions = new BackgroundJobServerOptions();
    if (fast)
    {
        serverOptions.WorkerCount = 50;
    }

    using var server = new BackgroundJobServer(serverOptions, storage);
    Console.WriteLine("ready");
    while (Console.ReadLine() is { } line)
    {
        if (line == "report")
        {
            Console.WriteLine(JsonSerializer.Serialize(BenchJobs.Starts.Select(s => new[] { s.N, s.At }).ToArray()));
            break;
        }
    }

    return 0;
}

await using (var adminConnection = new NpgsqlConnection(admin))
{
    await adminConnection.OpenAsync();
    await new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{dbName}\" WITH (FORCE)", adminConnection).ExecuteNonQueryAsync();
    await new NpgsqlCommand($"CREATE DATABASE \"{dbName}\"", adminConnection).ExecuteNonQueryAsync();
}

// Creating the storage against the new database installs the schema.
storage = new PostgreSqlStorage(new NpgsqlConnectionFactory(connectionString, storageOptions), storageOptions);
var client = new BackgroundJobClient(storage);

// Enqueue calls block their thread, so the pool gets enough threads up front for the producers.
ThreadPool.SetMinThreads(64, 64);
var deadline = DateTime.UtcNow + timeLimit;
Dictionary<string, object> record;

if (workload == "single")
{
    var clients = (int)Num("clients", 32);
    ClosedLoop(clients, Math.Min(1000, jobs / 5), i => client.Enqueue(() => BenchJobs.Noop(i)));

    // The same load for the warm-up seconds first, so that the measurement runs against a warmed-up process.
    var measureBy = deadline;
    deadline = DateTime.UtcNow.AddSeconds(Math.Min(Num("warmup", 0), (measureBy - DateTime.UtcNow).TotalSeconds));
    ClosedLoop(clients, 10_000_000, i => client.Enqueue(() => BenchJobs.Noop(i)));
    deadline = measureBy;
    var (done, seconds) = ClosedLoop(clients, jobs, i => client.Enqueue(() => BenchJobs.Noop(i)));
    record = new() { ["value"] = Math.Round(done / seconds, 1), ["unit"] = "jobs/s", ["jobs"] = done, ["clients"] = clients };
}
else if (workload == "drain")
{
    // Hangfire has no bulk enqueue: the jobs go in one call each, from 32 threads, before the server starts.
    deadline = DateTime.UtcNow.AddMinutes(5);
    ClosedLoop(32, jobs, i => client.Enqueue(() => BenchJobs.Noop(i)));
    deadline = DateTime.UtcNow + timeLimit;
    using var server = StartServer();
    long done = 0;
    var end = Stopwatch.GetTimestamp();
    while (DateTime.UtcNow < deadline)
    {
        done = await CountSucceededAsync();
        end = Stopwatch.GetTimestamp();
        if (done >= jobs)
        {
            break;
        }

        await Task.Delay(50);
    }

    await server.ReportAsync();
    var first = server.First ?? end;
    record = new()
    {
        ["value"] = Math.Round(done / ((end - first) / 1e9), 1), ["unit"] = "jobs/s", ["jobs"] = done, ["complete"] = done >= jobs,
    };
}
else if (workload == "latency")
{
    using var server = StartServer();
    await Task.Delay(2000);
    var rate = Num("rate", 20);
    var warmup = Num("warmup", 0);
    if (warmup > 0)
    {
        // The same rate first, numbered apart and not counted, until its jobs have run.
        await OpenLoopAsync(rate, warmup, 10_000_000, new ConcurrentDictionary<int, long>());
        var monitoring = storage.GetMonitoringApi();
        var drainedBy = DateTime.UtcNow.AddSeconds(60);
        while (monitoring.GetStatistics() is { Enqueued: > 0 } or { Processing: > 0 } && DateTime.UtcNow < drainedBy)
        {
            await Task.Delay(100);
        }
    }

    var seconds = Num("seconds", 10);
    var responded = new ConcurrentDictionary<int, long>();
    var (count, elapsed) = await OpenLoopAsync(rate, seconds, 0, responded);
    await Task.Delay(TimeSpan.FromSeconds(fast ? 3 : 20));
    var starts = (await server.ReportAsync()).ToDictionary(s => (int)s[0], s => s[1]);
    var latencies = responded.Where(r => starts.ContainsKey(r.Key)).Select(r => (starts[r.Key] - r.Value) / 1e6).Order().ToList();
    double Q(double q) => latencies.Count == 0 ? double.NaN : Math.Round(latencies[Math.Clamp((int)Math.Ceiling(q * latencies.Count) - 1, 0, latencies.Count - 1)], 2);
    record = new()
    {
        ["samples"] = latencies.Count, ["p50_ms"] = Q(0.5), ["p90_ms"] = Q(0.9), ["p99_ms"] = Q(0.99), ["max_ms"] = Q(1),
        ["offered_rate"] = rate, ["achieved_rate"] = Math.Round(count / elapsed, 1), ["not_started"] = responded.Count - latencies.Count,
    };
}
else
{
    throw new ArgumentException($"Unknown workload '{workload}'.");
}

Console.WriteLine(JsonSerializer.Serialize(record));
return 0;

(long Done, double Seconds) ClosedLoop(int loops, int total, Action<int> request)
{
    var next = -1;
    long done = 0;
    var stopwatch = Stopwatch.StartNew();
    var threads = Enumerable.Range(0, loops).Select(_ => new Thread(() =>
    {
        while (DateTime.UtcNow < deadline)
        {
            var i = Interlocked.Increment(ref next);
            if (i >= total)
            {
                break;
            }

            request(i);
            Interlocked.Increment(ref done);
        }
    })).ToList();
    threads.ForEach(t => t.Start());
    threads.ForEach(t => t.Join());
    return (done, stopwatch.Elapsed.TotalSeconds);
}

async Task<long> CountSucceededAsync()
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand("SELECT count(*) FROM hangfire.job WHERE statename = 'Succeeded'", connection);
    return (long)(await command.ExecuteScalarAsync())!;
}

ServerProcess StartServer()
{
    var info = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
    info.ArgumentList.Add(typeof(BenchJobs).Assembly.Location);
    foreach (var arg in args)
    {
        info.ArgumentList.Add(arg);
    }

    info.ArgumentList.Add("--role");
    info.ArgumentList.Add("server");
    var process = Process.Start(info)!;
    var line = process.StandardOutput.ReadLine();
    if (line != "ready")
    {
        throw new InvalidOperationException($"The Hangfire server did not start: {line}");
    }

    return new ServerProcess(process);
}

// Enqueues at 'rate' jobs per second for 'seconds', numbering jobs from 'first', and records when
// each enqueue call returned. Returns the jobs enqueued and the seconds taken.
async Task<(int Count, double Seconds)> OpenLoopAsync(double rate, double seconds, int first, ConcurrentDictionary<int, long> responded)
{
    var pending = new List<Task>();
    var stopwatch = Stopwatch.StartNew();
    var count = (int)(seconds * rate);
    for (var i = 0; i < count; i++)
    {
        var wait = TimeSpan.FromSeconds(i / rate) - stopwatch.Elapsed;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var n = first + i;
        pending.Add(Task.Run(() =>
        {
            client.Enqueue(() => BenchJobs.Noop(n));
            responded[n] = Stopwatch.GetTimestamp();
        }));
    }

    var elapsed = stopwatch.Elapsed.TotalSeconds;
    await Task.WhenAll(pending);
    return (count, elapsed);
}

/// <summary>The job the benchmark enqueues: records when it starts, and does nothing else.</summary>
public static class BenchJobs
{
    public static readonly ConcurrentQueue<(long N, long At)> Starts = new();

    public static void Noop(int n) => Starts.Enqueue((n, Stopwatch.GetTimestamp()));
}

/// <summary>The Hangfire server child process. Its first start is read from the database.</summary>
internal sealed class ServerProcess(Process process) : IDisposable
{
    public long? First { get; private set; }

    public async Task<long[][]> ReportAsync()
    {
        await process.StandardInput.WriteLineAsync("report");
        var line = await process.StandardOutput.ReadLineAsync() ?? "[]";
        var starts = JsonSerializer.Deserialize<long[][]>(line) ?? [];
        First = starts.Length == 0 ? null : starts.Min(s => s[1]);
        if (!process.WaitForExit(15000))
        {
            process.Kill(entireProcessTree: true);
        }

        return starts;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
