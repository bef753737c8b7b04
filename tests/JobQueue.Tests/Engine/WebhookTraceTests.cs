using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Engine;

public sealed partial class WebhookTraceTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _queue = "q" + Guid.NewGuid().ToString("N")[..10];
    private WebhookReceiver _receiver = null!;
    private IHost _worker = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _worker = await WorkerHost.StartAsync(database, new Dictionary<string, string?>
        {
            ["Worker:Queues"] = $"{_queue}:2",
            ["Webhooks:Routes:0:Kind"] = "hook.traced",
            ["Webhooks:Routes:0:Url"] = _receiver.Url("hook.traced"),
            ["Webhooks:Routes:0:Secret"] = WebhookSigner.CreateSecret(),
        });
    }

    public async Task DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await _receiver.DisposeAsync();
    }

    [GeneratedRegex("^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]
    private static partial Regex TraceParent();

    private async Task<(Job Job, ReceivedDelivery Delivery)> DeliverAsync()
    {
        var job = (await database.Jobs.InsertManyAsync(
            [new NewJob(_queue, "hook.traced", "{}", 0, 1, null, [], null, null)], CancellationToken.None)).Single();
        var done = await database.Jobs.WaitForFinalAsync(job.Id);
        Assert.Equal(JobState.Completed, done.State);
        return (done, Assert.Single(_receiver.Deliveries, d => d.Body.Contains($"\"id\":{job.Id},", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Traceparent_is_sent_without_listener()
    {
        var (_, first) = await DeliverAsync();
        var (_, second) = await DeliverAsync();

        Assert.Matches(TraceParent(), first.Headers["traceparent"]);
        Assert.Matches(TraceParent(), second.Headers["traceparent"]);
        Assert.NotEqual(first.Headers["traceparent"], second.Headers["traceparent"]);
    }

    [Fact]
    public async Task Traceparent_names_delivery_activity()
    {
        var started = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WebhookDispatcher.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = started.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var (job, delivery) = await DeliverAsync();

        var traceparent = delivery.Headers["traceparent"];
        Assert.Matches(TraceParent(), traceparent);
        var activity = Assert.Single(started, a => (string?)a.GetTagItem("messaging.message.id") == $"job_{job.Id}");
        Assert.Equal("send webhook hook.traced", activity.DisplayName);
        Assert.Equal(activity.Id, traceparent);
    }
}
