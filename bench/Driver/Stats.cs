namespace JobQueue.Bench;

internal static class Stats
{
    /// <summary>Returns the q-quantile (0..1) of the values by the nearest-rank method.</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(q * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public static Dictionary<string, object> Latency(IEnumerable<double> milliseconds)
    {
        var sorted = milliseconds.OrderBy(v => v).ToList();
        return new Dictionary<string, object>
        {
            ["samples"] = sorted.Count,
            ["p50_ms"] = Math.Round(Quantile(sorted, 0.50), 2),
            ["p90_ms"] = Math.Round(Quantile(sorted, 0.90), 2),
            ["p99_ms"] = Math.Round(Quantile(sorted, 0.99), 2),
            ["max_ms"] = sorted.Count == 0 ? double.NaN : Math.Round(sorted[^1], 2),
        };
    }
}
