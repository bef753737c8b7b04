using System.Security.Cryptography;
using System.Text;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace JobQueue.Tests.Engine;

/// <summary>A route with a new and an old secret, checked by the independent StandardWebhooks verifier.</summary>
public sealed class WebhookSecretRotationTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    private readonly string _newSecret = WebhookSigner.CreateSecret();
    private readonly string _oldSecret = WebhookSigner.CreateSecret();
    private readonly string _queue = "q" + Guid.NewGuid().ToString("N")[..10];
    private WebhookReceiver _receiver = null!;
    private IHost _worker = null!;

    public async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _worker = await WorkerHost.StartAsync(database, new Dictionary<string, string?>
        {
            ["Worker:Queues"] = $"{_queue}:2",
            ["Webhooks:Routes:0:Kind"] = "hook.rotated",
            ["Webhooks:Routes:0:Url"] = _receiver.Url("hook.rotated"),
            ["Webhooks:Routes:0:Secret"] = _newSecret,
            ["Webhooks:Routes:0:Secrets:0"] = _oldSecret,
            ["Webhooks:Routes:1:Kind"] = "hook.listed",
            ["Webhooks:Routes:1:Url"] = _receiver.Url("hook.listed"),
            ["Webhooks:Routes:1:Secrets:0"] = _newSecret,
            ["Webhooks:Routes:1:Secrets:1"] = _oldSecret,
        });
    }

    public async Task DisposeAsync()
    {
        await _worker.StopAsync();
        _worker.Dispose();
        await _receiver.DisposeAsync();
    }

    private async Task<ReceivedDelivery> DeliverAsync(string kind)
    {
        var job = (await database.Jobs.InsertManyAsync(
            [new NewJob(_queue, kind, "{}", 0, 1, null, [], null, null)], CancellationToken.None)).Single();
        var done = await database.Jobs.WaitForFinalAsync(job.Id);
        Assert.Equal(JobState.Completed, done.State);
        return Assert.Single(_receiver.Deliveries, d => d.Body.Contains($"\"id\":{job.Id},", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("hook.rotated")]
    [InlineData("hook.listed")]
    public async Task New_secret_verifies(string kind)
    {
        var delivery = await DeliverAsync(kind);

        new StandardWebhook(_newSecret).Verify(delivery.Body, delivery.RawHeaders);
        Assert.Throws<WebhookVerificationException>(
            () => new StandardWebhook(WebhookSigner.CreateSecret()).Verify(delivery.Body, delivery.RawHeaders));
    }

    [Theory]
    [InlineData("hook.rotated")]
    [InlineData("hook.listed")]
    public async Task Old_secret_verifies(string kind)
    {
        var delivery = await DeliverAsync(kind);

        // NOTE: StandardWebhooks 1.1.2 never matches the last signature of a header with several,
        // because for the last item it compares the whole header value. So each signature is
        // checked alone here, and the full header is checked by SpecVerify, written from the spec.
        Assert.True(SpecVerify(_oldSecret, delivery));
        Assert.True(SpecVerify(_newSecret, delivery));
        Assert.False(SpecVerify(WebhookSigner.CreateSecret(), delivery));
        var signatures = delivery.Headers["webhook-signature"].Split(' ');
        var oldOnly = new HeaderDictionary(delivery.RawHeaders.ToDictionary())
        {
            ["webhook-signature"] = signatures[1],
        };
        new StandardWebhook(_oldSecret).Verify(delivery.Body, oldOnly);
        Assert.Throws<WebhookVerificationException>(() => new StandardWebhook(_newSecret).Verify(delivery.Body, oldOnly));
    }

    /// <summary>
    /// Verifies as a Standard Webhooks receiver should: the delivery is valid when any
    /// space-separated <c>v1,</c> signature matches the HMAC-SHA256 of id, timestamp and body.
    /// </summary>
    private static bool SpecVerify(string secret, ReceivedDelivery delivery)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes(
            $"{delivery.Headers["webhook-id"]}.{delivery.Headers["webhook-timestamp"]}.{delivery.Body}");
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, signed));
        return delivery.Headers["webhook-signature"].Split(' ').Any(
            signature => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(signature), Encoding.UTF8.GetBytes(expected)));
    }

    [Fact]
    public async Task Newest_signature_comes_first()
    {
        var delivery = await DeliverAsync("hook.rotated");

        var signatures = delivery.Headers["webhook-signature"].Split(' ');
        Assert.Equal(2, signatures.Length);
        var timestamp = long.Parse(delivery.Headers["webhook-timestamp"], System.Globalization.CultureInfo.InvariantCulture);
        var body = Encoding.UTF8.GetBytes(delivery.Body);
        Assert.True(WebhookSigner.TryDecodeSecret(_newSecret, out var newKey));
        Assert.True(WebhookSigner.TryDecodeSecret(_oldSecret, out var oldKey));
        Assert.Equal(WebhookSigner.Sign(newKey, delivery.Headers["webhook-id"], timestamp, body), signatures[0]);
        Assert.Equal(WebhookSigner.Sign(oldKey, delivery.Headers["webhook-id"], timestamp, body), signatures[1]);
    }

    [Fact]
    public async Task Secrets_are_not_sent_in_headers_or_body()
    {
        var delivery = await DeliverAsync("hook.rotated");

        foreach (var secret in new[] { _newSecret, _oldSecret })
        {
            var encoded = secret["whsec_".Length..];
            Assert.DoesNotContain(encoded, delivery.Body, StringComparison.Ordinal);
            Assert.All(delivery.Headers.Values, value => Assert.DoesNotContain(encoded, value, StringComparison.Ordinal));
        }
    }
}
