using Alba;
using JobQueue.Engine.Telemetry;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;

namespace JobQueue.Tests.Telemetry;

/// <summary><c>Telemetry:Tracing</c> decides whether a host records spans at all.</summary>
public sealed class TracingModeTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private async Task<IAlbaHost> StartApiAsync(string? tracing) => await AlbaHost.For<Program>(builder =>
    {
        builder.UseSetting("ConnectionStrings:JobQueue", database.ConnectionString);
        builder.UseSetting("Api:Auth:Mode", "none");
        if (tracing is not null)
        {
            builder.UseSetting("Telemetry:Tracing", tracing);
        }
    });

    [Theory]
    [InlineData(null, false)]
    [InlineData("auto", false)]
    [InlineData("off", false)]
    [InlineData("on", true)]
    [InlineData(" ON ", true)]
    public async Task Spans_recorded_when_on_or_exported(string? tracing, bool recorded)
    {
        await using var host = await StartApiAsync(tracing);

        Assert.Equal(recorded, host.Services.GetService<TracerProvider>() is not null);
    }

    [Fact]
    public async Task Unknown_tracing_value_fails_at_start()
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => StartApiAsync("sometimes"));

        Assert.Contains("Telemetry:Tracing must be 'auto', 'on' or 'off'; it is 'sometimes'.", failure.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("auto", true, true)]
    [InlineData("auto", false, false)]
    [InlineData("off", true, false)]
    [InlineData("on", false, true)]
    public void Auto_follows_the_exporter(string value, bool exporter, bool recorded) =>
        Assert.Equal(recorded, TelemetryOptions.TracingModeOf(value, exporter));
}
