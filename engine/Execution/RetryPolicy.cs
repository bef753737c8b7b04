using JobQueue.Engine.Options;
using Microsoft.Extensions.Options;

namespace JobQueue.Engine.Execution;

/// <summary>
/// Exponential backoff with jitter: the delay after attempt n is base × 2^(n−1), capped at the
/// maximum, then scaled by a random factor in [0.8, 1.2) so that jobs that failed together do
/// not all come back at the same instant.
/// </summary>
public sealed class RetryPolicy(IOptions<WorkerOptions> options)
{
    private const double JitterFraction = 0.2;

    /// <summary>Returns the delay before the attempt after <paramref name="attempt"/>.</summary>
    public TimeSpan DelayAfter(int attempt) => DelayAfter(attempt, Random.Shared.NextDouble());

    /// <summary>The same, with the random draw in [0, 1) given, for tests.</summary>
    public TimeSpan DelayAfter(int attempt, double randomDraw)
    {
        var settings = options.Value;

        // The exponent is capped before Math.Pow, so a job on its thousandth attempt gets the
        // maximum delay instead of an overflow.
        var exponent = Math.Clamp(attempt - 1, 0, 62);
        var uncapped = settings.RetryBaseDelay.TotalMilliseconds * Math.Pow(2, exponent);
        var capped = Math.Min(uncapped, settings.RetryMaxDelay.TotalMilliseconds);
        var jittered = capped * (1 - JitterFraction + (2 * JitterFraction * randomDraw));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, settings.RetryMaxDelay.TotalMilliseconds));
    }
}
