using JobQueue.Engine.Execution;
using JobQueue.Engine.Options;
using Microsoft.Extensions.Options;

namespace JobQueue.Tests.Engine;

public sealed class RetryPolicyTests
{
    private static RetryPolicy Policy(TimeSpan baseDelay, TimeSpan maxDelay) =>
        new(Options.Create(new WorkerOptions { RetryBaseDelay = baseDelay, RetryMaxDelay = maxDelay }));

    [Fact]
    public void Delay_doubles_per_attempt()
    {
        var policy = Policy(TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromSeconds(1), policy.DelayAfter(1, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(2), policy.DelayAfter(2, 0.5));
        Assert.Equal(TimeSpan.FromSeconds(8), policy.DelayAfter(4, 0.5));
    }

    [Fact]
    public void Jitter_stays_within_twenty_percent()
    {
        var policy = Policy(TimeSpan.FromSeconds(10), TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromSeconds(8), policy.DelayAfter(1, 0.0));
        Assert.True(policy.DelayAfter(1, 0.999_999) < TimeSpan.FromSeconds(12));
    }

    [Theory]
    [InlineData(30)]
    [InlineData(64)]
    [InlineData(1_000_000)]
    [InlineData(int.MaxValue)]
    public void Large_attempts_are_capped_without_overflow(int attempt)
    {
        var policy = Policy(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));

        Assert.Equal(TimeSpan.FromMinutes(10), policy.DelayAfter(attempt, 0.999));
        Assert.Equal(TimeSpan.FromMinutes(8), policy.DelayAfter(attempt, 0.0));
    }
}
