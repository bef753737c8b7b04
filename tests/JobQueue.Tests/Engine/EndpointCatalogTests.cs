using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using Microsoft.Extensions.Time.Testing;

namespace JobQueue.Tests.Engine;

/// <summary>
/// A worker disables an endpoint that returned 410 before the database has the change, so a
/// reload that read the rows earlier must not enable it again.
/// </summary>
public sealed class EndpointCatalogTests
{
    private static WebhookEndpointRow Row(bool enabled) => new(
        7, "https://hooks.example/in", ["mail.send"], new Dictionary<string, string>(), 10_000, 5_000, null, 10_000,
        null, [], null, null, null, enabled, enabled ? null : "disabled over the API", null,
        WebhookSigner.CreateSecret(), null, null, null, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Local_disable_outlives_earlier_reads()
    {
        var clock = new FakeTimeProvider();
        var catalog = new EndpointCatalog(clock);
        catalog.Load([Row(enabled: true)], catalog.Now());

        var readBeforeMark = catalog.Now();
        clock.Advance(TimeSpan.FromMilliseconds(10));
        catalog.MarkDisabled(7, "410 Gone");
        catalog.Load([Row(enabled: true)], readBeforeMark);
        Assert.False(catalog.Find("mail.send")!.Enabled);

        var readBeforeStored = catalog.Now();
        clock.Advance(TimeSpan.FromMilliseconds(10));
        catalog.DisableStored(7);
        catalog.Load([Row(enabled: true)], readBeforeStored);
        Assert.False(catalog.Find("mail.send")!.Enabled);
        Assert.Equal("410 Gone", catalog.Find("mail.send")!.DisabledReason);

        clock.Advance(TimeSpan.FromMilliseconds(10));
        catalog.Load([Row(enabled: true)], catalog.Now());
        Assert.True(catalog.Find("mail.send")!.Enabled);
    }

    [Fact]
    public void Pending_disable_survives_any_reload()
    {
        var clock = new FakeTimeProvider();
        var catalog = new EndpointCatalog(clock);
        catalog.MarkDisabled(7, "410 Gone");
        clock.Advance(TimeSpan.FromSeconds(5));

        catalog.Load([Row(enabled: true)], catalog.Now());

        Assert.False(catalog.Find("mail.send")!.Enabled);
    }
}
