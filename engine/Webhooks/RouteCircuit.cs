namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Circuit breaker for one webhook route, kept in memory by each worker process. After
/// <c>threshold</c> consecutive failures the circuit opens, and deliveries are not sent for the
/// open duration. After that, one probe delivery is let through (half-open): its success closes
/// the circuit, and its failure opens it again for the full duration. Thread-safe.
/// </summary>
public sealed class RouteCircuit(int threshold, TimeSpan openDuration, TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private int _consecutiveFailures;
    private DateTimeOffset? _openUntil;
    private bool _probeInFlight;

    /// <summary>
    /// Decides whether a delivery may be sent now. Returns null when it may; the caller must
    /// then report exactly one of <see cref="RecordSuccess"/>, <see cref="RecordFailure"/> or
    /// <see cref="RecordNeither"/>. Otherwise returns the time left until a delivery may be
    /// tried again.
    /// </summary>
    public TimeSpan? TryEnter()
    {
        lock (_lock)
        {
            if (_openUntil is not { } openUntil)
            {
                return null;
            }

            var left = openUntil - timeProvider.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                return left;
            }

            // Half-open: a single probe goes through, and every other delivery waits for its
            // result. The probe's own duration is unknown, so the others come back after one more
            // open duration at the latest.
            if (_probeInFlight)
            {
                return openDuration;
            }

            _probeInFlight = true;
            return null;
        }
    }

    /// <summary>Whether the circuit is open or half-open, for tests and diagnostics.</summary>
    public bool IsOpen
    {
        get
        {
            lock (_lock)
            {
                return _openUntil is not null;
            }
        }
    }

    /// <summary>Records a delivery that reached the target and got a response that is not a server error.</summary>
    public void RecordSuccess()
    {
        lock (_lock)
        {
            _consecutiveFailures = 0;
            _openUntil = null;
            _probeInFlight = false;
        }
    }

    /// <summary>Records a connection error, a timeout or a 5xx response.</summary>
    public void RecordFailure()
    {
        lock (_lock)
        {
            _consecutiveFailures++;
            if (_probeInFlight || _consecutiveFailures >= threshold)
            {
                _openUntil = timeProvider.GetUtcNow() + openDuration;
            }

            _probeInFlight = false;
        }
    }

    /// <summary>
    /// Records a delivery that tells nothing about the target's health, such as one stopped by a
    /// cancel request or shutdown. A probe that ends this way lets the next delivery probe.
    /// </summary>
    public void RecordNeither()
    {
        lock (_lock)
        {
            _probeInFlight = false;
        }
    }
}
