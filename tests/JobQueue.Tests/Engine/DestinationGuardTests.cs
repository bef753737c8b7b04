using System.Net;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Engine;

public sealed class DestinationGuardTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.8.9.10")]
    [InlineData("10.0.0.5")]
    [InlineData("172.16.3.4")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("255.255.255.255")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:169.254.169.254")]
    public void Internal_addresses_are_blocked(string address)
    {
        var guard = new DestinationGuard([]);

        Assert.False(guard.IsAllowed(IPAddress.Parse(address)));
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("151.101.1.1")]
    [InlineData("2a00:1450:4001:80b::200e")]
    public void Public_addresses_are_allowed(string address)
    {
        var guard = new DestinationGuard([]);

        Assert.True(guard.IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public void Allowed_network_opens_only_itself()
    {
        var guard = new DestinationGuard([IPNetwork.Parse("10.1.0.0/16")]);

        Assert.True(guard.IsAllowed(IPAddress.Parse("10.1.2.3")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("10.2.0.1")));
        Assert.False(guard.IsAllowed(IPAddress.Parse("127.0.0.1")));
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    public async Task Delivery_to_loopback_is_blocked_by_default(string host)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var port = new Uri(receiver.BaseUrl).Port;
        var queue = "q" + Guid.NewGuid().ToString("N")[..10];
        using var worker = await WorkerHost.StartAsync(database, new Dictionary<string, string?>
        {
            ["Worker:Queues"] = $"{queue}:1",
            // Replaces the test default (loopback) with a documentation network that no test uses.
            ["Webhooks:AllowedNetworks:0"] = "192.0.2.0/24",
            ["Webhooks:Routes:0:Kind"] = "guarded",
            ["Webhooks:Routes:0:Url"] = $"http://{host}:{port}/guarded",
            ["Webhooks:Routes:0:Secret"] = WebhookSigner.CreateSecret(),
        });
        var job = (await database.Jobs.InsertManyAsync(
            [new NewJob(queue, "guarded", "{}", 0, 5, null, [], null, null)], CancellationToken.None)).Single();

        var done = await database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal(1, done.Attempt);
        var error = Assert.Single(done.Errors);
        Assert.Equal("blocked_destination", error.Reason);
        Assert.Contains("Webhooks:AllowedNetworks", error.Message, StringComparison.Ordinal);
        Assert.Empty(receiver.Deliveries);
        await worker.StopAsync();
    }
}
