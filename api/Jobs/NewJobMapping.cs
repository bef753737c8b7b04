using System.Text;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

/// <summary>Applies the defaults of an enqueue request and converts it to storage units.</summary>
public static class NewJobMapping
{
    public const string DefaultQueue = "default";

    /// <summary>Converts a request that passed <see cref="JobRequestRules"/>.</summary>
    public static NewJob ToNewJob(EnqueueJobRequest request, ApiOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        var argsJson = request.Args is { } args ? Encoding.UTF8.GetString(ArgsInspector.ToCompactJson(args)) : "{}";

        // Rounded up so a timeout above 0 s never becomes 0 ms, which the database rejects.
        int? timeoutMs = request.TimeoutSeconds is { } timeout ? (int)Math.Ceiling(timeout * 1000) : null;
        long? delayMs = request.DelaySeconds is { } delay ? (long)Math.Round(delay * 1000) : null;

        var kindLimit = options.KindLimits.FirstOrDefault(limit => limit.Kind == request.Kind);
        var kindKey = "kind:" + request.Kind;
        return new NewJob(
            Queue: request.Queue ?? DefaultQueue,
            Kind: request.Kind,
            ArgsJson: argsJson,
            Priority: (short)(request.Priority ?? 0),
            MaxAttempts: request.MaxAttempts ?? options.DefaultMaxAttempts,
            TimeoutMs: timeoutMs,
            Tags: request.Tags ?? [],
            RunAt: request.RunAt,
            DelayMs: delayMs)
        {
            DiscardAfter = request.DiscardAfter,
            Unique = request.Unique is { } unique ? ToUniqueOptions(unique) : null,
            WebhookUrl = request.WebhookUrl,
            CallbackUrl = request.CallbackUrl,
            Concurrency = request.Concurrency is { } concurrency ? new ConcurrencyLimit(concurrency.Key, concurrency.Limit)
                : kindLimit?.Concurrency is { } kindConcurrency ? new ConcurrencyLimit(kindKey, kindConcurrency)
                : null,
            RateLimit = request.RateLimit is { } rate ? new RateLimit(rate.Key, rate.Limit, (int)Math.Ceiling(rate.PeriodSeconds * 1000))
                : kindLimit?.RateLimit is { } kindRate ? new RateLimit(kindKey, kindRate, (int)kindLimit.RatePeriod.TotalMilliseconds)
                : null,
        };
    }

    private static UniqueOptions ToUniqueOptions(UniqueSpec unique) => new(
        unique.Key,
        unique.IncludeQueue ?? false,
        unique.States?.Select(JobStates.ToName).Distinct(StringComparer.Ordinal).ToList(),
        unique.PeriodSeconds is { } seconds ? (long)Math.Ceiling(seconds * 1000) : null);
}
