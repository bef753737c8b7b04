using System.Text.Json.Serialization;

namespace JobQueue.Contracts;

/// <summary>
/// At most <see cref="Limit"/> jobs with the same <see cref="Key"/> run at once, across every
/// worker host. Jobs over the limit wait, available, without using attempts.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ConcurrencyLimitSpec
{
    /// <summary>Jobs that share this key share the limit, for example <c>customer:42</c>.</summary>
    [JsonPropertyName("key")]
    public string Key { get; init; } = "";

    [JsonPropertyName("limit")]
    public int Limit { get; init; }
}

/// <summary>
/// At most <see cref="Limit"/> jobs with the same <see cref="Key"/> start in any period of
/// <see cref="PeriodSeconds"/> seconds, across every worker host. Retries count as starts.
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RateLimitSpec
{
    [JsonPropertyName("key")]
    public string Key { get; init; } = "";

    [JsonPropertyName("limit")]
    public int Limit { get; init; }

    /// <summary>Length of the sliding period, from 0.001 to 86,400 seconds.</summary>
    [JsonPropertyName("period_seconds")]
    public double PeriodSeconds { get; init; }
}
