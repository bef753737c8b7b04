using JobQueue.Engine.Webhooks;
using Microsoft.Extensions.Time.Testing;

namespace JobQueue.Tests.Engine;

public sealed class RouteCircuitTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void Opens_after_threshold_failures()
    {
        var circuit = new RouteCircuit(3, TimeSpan.FromSeconds(30), _clock);

        for (var i = 0; i < 2; i++)
        {
            Assert.Null(circuit.TryEnter());
            circuit.RecordFailure();
        }

        Assert.False(circuit.IsOpen);
        Assert.Null(circuit.TryEnter());
        circuit.RecordFailure();

        Assert.True(circuit.IsOpen);
        Assert.Equal(TimeSpan.FromSeconds(30), circuit.TryEnter());
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.FromSeconds(20), circuit.TryEnter());
    }

    [Fact]
    public void Success_resets_failure_count()
    {
        var circuit = new RouteCircuit(2, TimeSpan.FromSeconds(30), _clock);

        circuit.RecordFailure();
        circuit.RecordSuccess();
        circuit.RecordFailure();

        Assert.False(circuit.IsOpen);
        Assert.Null(circuit.TryEnter());
    }

    [Fact]
    public void Half_open_lets_one_probe_through()
    {
        var circuit = new RouteCircuit(1, TimeSpan.FromSeconds(30), _clock);
        circuit.RecordFailure();
        _clock.Advance(TimeSpan.FromSeconds(30));

        Assert.Null(circuit.TryEnter());
        Assert.Equal(TimeSpan.FromSeconds(30), circuit.TryEnter());

        circuit.RecordSuccess();

        Assert.False(circuit.IsOpen);
        Assert.Null(circuit.TryEnter());
    }

    [Fact]
    public void Failed_probe_reopens_for_full_duration()
    {
        var circuit = new RouteCircuit(5, TimeSpan.FromSeconds(30), _clock);
        for (var i = 0; i < 5; i++)
        {
            circuit.RecordFailure();
        }

        _clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Null(circuit.TryEnter());

        circuit.RecordFailure();

        Assert.True(circuit.IsOpen);
        Assert.Equal(TimeSpan.FromSeconds(30), circuit.TryEnter());
    }

    [Fact]
    public void Probe_without_verdict_frees_probe_slot()
    {
        var circuit = new RouteCircuit(1, TimeSpan.FromSeconds(30), _clock);
        circuit.RecordFailure();
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Null(circuit.TryEnter());

        circuit.RecordNeither();

        Assert.True(circuit.IsOpen);
        Assert.Null(circuit.TryEnter());
    }
}
