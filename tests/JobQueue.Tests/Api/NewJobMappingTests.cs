using JobQueue.Api;
using JobQueue.Api.Jobs;
using JobQueue.Contracts;

namespace JobQueue.Tests.Api;

public sealed class NewJobMappingTests
{
    private static readonly ApiOptions Options = new()
    {
        KindLimits =
        [
            new KindLimit { Kind = "email.send", Concurrency = 5, RateLimit = 100, RatePeriod = TimeSpan.FromSeconds(30) },
        ],
    };

    [Fact]
    public void Kind_limits_apply_when_request_sets_none()
    {
        var job = NewJobMapping.ToNewJob(new EnqueueJobRequest { Kind = "email.send" }, Options);

        Assert.Equal("kind:email.send", job.Concurrency!.Key);
        Assert.Equal(5, job.Concurrency.Limit);
        Assert.Equal("kind:email.send", job.RateLimit!.Key);
        Assert.Equal(100, job.RateLimit.Limit);
        Assert.Equal(30_000, job.RateLimit.PeriodMs);
    }

    [Fact]
    public void Request_limits_win_over_kind_limits()
    {
        var request = new EnqueueJobRequest
        {
            Kind = "email.send",
            Concurrency = new ConcurrencyLimitSpec { Key = "tenant:1", Limit = 1 },
        };

        var job = NewJobMapping.ToNewJob(request, Options);

        Assert.Equal("tenant:1", job.Concurrency!.Key);
        Assert.Equal(1, job.Concurrency.Limit);
        Assert.Equal("kind:email.send", job.RateLimit!.Key);
    }

    [Fact]
    public void Other_kinds_get_no_limits()
    {
        var job = NewJobMapping.ToNewJob(new EnqueueJobRequest { Kind = "report" }, Options);

        Assert.Null(job.Concurrency);
        Assert.Null(job.RateLimit);
    }
}
