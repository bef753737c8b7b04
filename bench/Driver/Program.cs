using System.Text.Json;
using JobQueue.Bench;

// Usage: JobQueue.Bench --workload single|bulk|drain|webhook|latency|history|sustained|soak [--name value ...]
// Recreates the benchmark database, applies the schema, runs one measurement against the
// published hosts and prints one JSON record on the last line of its output.
var options = new BenchOptions(args);
var database = new Database(options);
var hosts = new ServiceHosts(options, database);
await database.RecreateAsync();
await hosts.MigrateAsync();
var workloads = new Workloads(options, database, hosts);
var record = options.Workload switch
{
    "single" => await workloads.SingleAsync(),
    "bulk" => await workloads.BulkAsync(),
    "drain" => await workloads.DrainAsync(webhook: false),
    "webhook" => await workloads.DrainAsync(webhook: true),
    "latency" => await workloads.LatencyAsync(),
    "history" => await workloads.HistoryAsync(),
    "sustained" => await workloads.SustainedAsync(),
    "soak" => await workloads.SoakAsync(),
    _ => throw new ArgumentException($"Unknown workload '{options.Workload}'."),
};
if (record.TryGetValue("value", out var value) && value is double number)
{
    record["value"] = Math.Round(number, 1);
}

Console.WriteLine(JsonSerializer.Serialize(record));
return 0;
