using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;

namespace JobQueue.Bench;

/// <summary>HTTP producers: one job per request, batches, and a steady rate, all to the local API.</summary>
internal sealed class Load : IDisposable
{
    private readonly HttpClient _client;

    public Load(Uri apiUrl, int connections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            UseProxy = false,
            AllowAutoRedirect = false,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        };
        _client = new HttpClient(handler) { BaseAddress = apiUrl, Timeout = TimeSpan.FromSeconds(60) };
    }

    public static string JobJson(string kind, int sequence) => "{\"kind\":\"" + kind + "\",\"args\":{\"n\":" + sequence + "}}";

    public static string BatchJson(string kind, int start, int count)
    {
        var builder = new StringBuilder("{\"jobs\":[");
        for (var i = 0; i < count; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append(JobJson(kind, start + i));
        }

        return builder.Append("]}").ToString();
    }

    /// <summary>Posts one job and returns its id.</summary>
    public async Task<long> EnqueueOneAsync(string kind, int sequence)
    {
        using var content = new StringContent(JobJson(kind, sequence), Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/v1/jobs", content);
        await EnsureCreatedAsync(response);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var document = await JsonDocument.ParseAsync(body);
        return document.RootElement.GetProperty("id").GetInt64();
    }

    /// <summary>Posts one batch and returns the ids in request order.</summary>
    public async Task<long[]> EnqueueBatchAsync(string kind, int start, int count)
    {
        using var content = new StringContent(BatchJson(kind, start, count), Encoding.UTF8, "application/json");
        using var response = await _client.PostAsync("/v1/jobs/batch", content);
        await EnsureCreatedAsync(response);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var document = await JsonDocument.ParseAsync(body);
        return document.RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ToArray();
    }

    private static async Task EnsureCreatedAsync(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.Created)
        {
            var text = await response.Content.ReadAsStringAsync();
            throw new InvalidOperationException($"Enqueue returned {(int)response.StatusCode}: {text[..Math.Min(text.Length, 500)]}");
        }
    }

    /// <summary>
    /// Runs <paramref name="clients"/> loops that each send one request at a time until
    /// <paramref name="total"/> requests were sent or the deadline passed. Returns requests and seconds.
    /// </summary>
    public static async Task<(long Count, double Seconds)> ClosedLoopAsync(
        int clients, long total, DateTime deadline, Func<long, Task> request)
    {
        long next = -1;
        long done = 0;
        var stopwatch = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, clients).Select(async _ =>
        {
            while (DateTime.UtcNow < deadline)
            {
                var sequence = Interlocked.Increment(ref next);
                if (sequence >= total)
                {
                    break;
                }

                await request(sequence);
                Interlocked.Increment(ref done);
            }
        }).ToArray();
        await Task.WhenAll(loops);
        return (done, stopwatch.Elapsed.TotalSeconds);
    }

    public void Dispose() => _client.Dispose();
}
