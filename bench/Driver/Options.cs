using System.Globalization;

namespace JobQueue.Bench;

/// <summary>Command-line settings of one measurement: <c>--name value</c> pairs.</summary>
internal sealed class BenchOptions
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public BenchOptions(string[] args)
    {
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected an option name starting with '--', got '{args[i]}'.");
            }

            _values[args[i][2..]] = args[i + 1];
        }
    }

    public string Text(string name, string fallback) => _values.GetValueOrDefault(name, fallback);

    public int Int(string name, int fallback) =>
        _values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public double Double(string name, double fallback) =>
        _values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The workload: single, bulk, drain, webhook, latency, load, history or soak.</summary>
    public string Workload => Text("workload", "single");

    /// <summary>Admin connection string of the benchmark's PostgreSQL server (database postgres).</summary>
    public string AdminConnection => Text("pg", "Host=127.0.0.1;Port=26000;Username=postgres;Database=postgres");

    /// <summary>Folder with the published api/ and worker/ hosts.</summary>
    public string PublishDir => Text("publish", "artifacts/bench/publish");

    public string Database => Text("db", "bench_jobqueue");

    public int ApiPort => Int("api-port", 26010);

    public int ReceiverPort => Int("receiver-port", 26011);

    public int WorkerHealthPort => Int("worker-port", 26012);

    /// <summary>Worker:Queues of the worker host, in GoodJob's syntax.</summary>
    public string WorkerQueues => Text("worker-queues", "*:10");

    /// <summary>Upper bound of a whole measurement, in seconds; loops stop there.</summary>
    public double TimeLimitSeconds => Double("time-limit", 120);
}
