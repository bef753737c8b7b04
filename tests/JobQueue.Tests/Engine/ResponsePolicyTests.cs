using System.Net.Http.Headers;
using JobQueue.Engine.Webhooks;

namespace JobQueue.Tests.Engine;

public sealed class ResponsePolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    private static HttpResponseHeaders Headers(Action<HttpResponseHeaders> set)
    {
        using var response = new HttpResponseMessage();
        set(response.Headers);
        return response.Headers;
    }

    [Theory]
    [InlineData(408, true)]
    [InlineData(425, true)]
    [InlineData(500, true)]
    [InlineData(502, true)]
    [InlineData(301, true)]
    [InlineData(400, false)]
    [InlineData(401, false)]
    [InlineData(404, false)]
    [InlineData(410, false)]
    [InlineData(422, false)]
    public void Status_decides_retry(int status, bool retry)
    {
        var outcome = ResponsePolicy.Classify(status, "x", Headers(_ => { }), "", Now, TimeSpan.FromHours(1));

        Assert.Equal(retry, outcome.Retry);
        Assert.Equal(status, outcome.Failure.StatusCode);
        Assert.Null(outcome.RetryAfter);
    }

    [Fact]
    public void Retry_after_seconds_is_honoured()
    {
        var outcome = ResponsePolicy.Classify(503, "Service Unavailable",
            Headers(h => h.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(120))), "", Now, TimeSpan.FromHours(1));

        Assert.True(outcome.Retry);
        Assert.Equal(TimeSpan.FromSeconds(120), outcome.RetryAfter);
    }

    [Fact]
    public void Retry_after_date_is_honoured()
    {
        var outcome = ResponsePolicy.Classify(429, "Too Many Requests",
            Headers(h => h.RetryAfter = new RetryConditionHeaderValue(Now.AddMinutes(5))), "", Now, TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromMinutes(5), outcome.RetryAfter);
    }

    [Fact]
    public void Retry_after_is_capped()
    {
        var outcome = ResponsePolicy.Classify(429, "Too Many Requests",
            Headers(h => h.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromDays(3))), "", Now, TimeSpan.FromMinutes(10));

        Assert.Equal(TimeSpan.FromMinutes(10), outcome.RetryAfter);
    }

    [Fact]
    public void Retry_after_in_the_past_falls_back_to_backoff()
    {
        var outcome = ResponsePolicy.Classify(503, "Service Unavailable",
            Headers(h => h.RetryAfter = new RetryConditionHeaderValue(Now.AddMinutes(-1))), "", Now, TimeSpan.FromHours(1));

        Assert.True(outcome.Retry);
        Assert.Null(outcome.RetryAfter);
    }

    [Fact]
    public void Redirect_names_its_location()
    {
        var outcome = ResponsePolicy.Classify(307, "Temporary Redirect",
            Headers(h => h.Location = new Uri("https://elsewhere.example/hook")), "", Now, TimeSpan.FromHours(1));

        Assert.Contains("https://elsewhere.example/hook", outcome.Failure.Message, StringComparison.Ordinal);
        Assert.Contains("not followed", outcome.Failure.Message, StringComparison.Ordinal);
    }
}
