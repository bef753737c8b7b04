using System.Text;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>GET /v1/events: server-sent events for available, finished and enqueued jobs.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class EventStreamTests(ApiHost api)
{
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Reads events until one of <paramref name="type"/> whose data contains <paramref name="text"/>.</summary>
    private static async Task<string> ReadUntilAsync(StreamReader reader, string type, string text)
    {
        using var timeout = new CancellationTokenSource(EventTimeout);
        var block = new StringBuilder();
        while (true)
        {
            var line = await reader.ReadLineAsync(timeout.Token)
                ?? throw new InvalidOperationException("The event stream ended.");
            if (line.Length > 0)
            {
                block.AppendLine(line);
                continue;
            }

            var evt = block.ToString();
            block.Clear();
            if (evt.Contains($"event: {type}\n", StringComparison.Ordinal) && evt.Contains(text, StringComparison.Ordinal))
            {
                return evt;
            }
        }
    }

    [Fact]
    public async Task Stream_reports_available_finished_and_enqueued_jobs()
    {
        using var client = api.Host.Server.CreateClient();
        using var response = await client.GetAsync("/v1/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no-store", response.Headers.CacheControl?.ToString() ?? "", StringComparison.Ordinal);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        await ReadUntilAsync(reader, "reset", "{}");

        var queue = ApiRequests.UniqueQueue();
        var due = await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}"}""");
        await ReadUntilAsync(reader, "available", $"{{\"queue\":\"{queue}\"}}");

        await api.SendAsync(HttpMethod.Post, $"/v1/jobs/{due.Id}/cancel");
        await ReadUntilAsync(reader, "finished", $"{{\"id\":{due.Id}}}");

        // A job that is not due yet sends no notification; the poll of the last id reports it.
        var later = await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}", "delay_seconds": 600}""");
        var enqueued = await ReadUntilAsync(reader, "enqueued", "last_id");
        Assert.Contains("\"last_id\":", enqueued, StringComparison.Ordinal);
        Assert.True(later.Id > due.Id);
    }
}
