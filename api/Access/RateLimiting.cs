using System.Globalization;
using System.Threading.RateLimiting;
using JobQueue.Api.Errors;
using JobQueue.Contracts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Access;

/// <summary>
/// Per-key request rate limits: a token bucket per API key and process, refilled every second
/// with the key's rate (its own, or <see cref="AccessOptions.RequestsPerSecond"/>), holding up to
/// the burst. A request over the limit gets 429 with <c>Retry-After</c>. Keyless requests and
/// public paths are not limited.
/// </summary>
internal static class RateLimiting
{
    public static void AddKeyRateLimits(this IServiceCollection services)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(Partition);
            limiter.OnRejected = RejectAsync;
        });
    }

    private static RateLimitPartition<string> Partition(HttpContext context)
    {
        var settings = context.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value;
        var caller = context.Features.Get<ApiCaller>();
        var rate = caller?.RateLimitPerSecond ?? settings.RequestsPerSecond;
        if (caller?.KeyId is not { } keyId || rate <= 0)
        {
            return RateLimitPartition.GetNoLimiter("");
        }

        var burst = caller.RateLimitPerSecond is { } own ? 2 * own : Math.Max(settings.Burst, rate);

        // The rate is part of the partition key, so a changed setting gets a new bucket.
        return RateLimitPartition.GetTokenBucketLimiter($"{keyId}:{rate}:{burst}", _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = rate,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        var caller = context.Features.Get<ApiCaller>();
        var rate = caller?.RateLimitPerSecond
            ?? context.RequestServices.GetRequiredService<IOptions<AccessOptions>>().Value.RequestsPerSecond;
        var problem = ApiProblem.Create(context, StatusCodes.Status429TooManyRequests, ProblemTypes.RateLimited,
            $"The API key {caller?.KeyName} sent more than its limit of {rate} requests per second to this API process. " +
            $"Retry after {seconds} seconds.");
        context.Response.OnStarting(() =>
        {
            context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        });
        await ProblemMiddleware.WriteAsync(context, problem);
    }
}
