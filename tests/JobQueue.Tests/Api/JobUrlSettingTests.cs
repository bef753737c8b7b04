using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>Per-job URLs on the default API host, where Webhooks:JobUrls:Enabled is off.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class JobUrlSettingTests(ApiHost api)
{
    [Fact]
    public async Task Job_urls_are_rejected_by_default()
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v1/jobs",
            """{"kind":"x","webhook_url":"https://example.com/hook","callback_url":"https://example.com/done"}""");

        Assert.Equal(400, response.Status);
        Assert.Equal(ProblemTypes.ValidationFailed, response.Json.GetProperty("type").GetString());
        Assert.Equal(["callback_url", "webhook_url"], response.ErrorFields.Order());
        Assert.Contains("Webhooks:JobUrls:Enabled", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Job_urls_in_batch_are_rejected_by_default()
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v1/jobs/batch",
            """{"jobs":[{"kind":"x"},{"kind":"y","webhook_url":"https://example.com/hook"}]}""");

        Assert.Equal(400, response.Status);
        Assert.Equal(["jobs[1].webhook_url"], response.ErrorFields);
    }

    [Fact]
    public async Task Endpoint_url_must_use_https_by_default()
    {
        var response = await api.SendAsync(HttpMethod.Post, "/v1/endpoints", """{"url":"http://example.com/hook","kinds":["x"]}""");

        Assert.Equal(400, response.Status);
        Assert.Equal(["url"], response.ErrorFields);
    }
}
