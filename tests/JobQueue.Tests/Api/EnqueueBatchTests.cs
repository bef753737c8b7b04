using System.Text;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class EnqueueBatchTests(ApiHost api)
{
    private Task<long> CountAsync(string queue) =>
        api.Database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE queue = $1", queue);

    [Fact]
    public async Task Batch_returns_jobs_in_request_order()
    {
        var queue = ApiRequests.UniqueQueue();
        var response = await api.PostJsonAsync("/v1/jobs/batch", $$$"""
            {"jobs": [{"kind": "a", "queue": "{{{queue}}}"}, {"kind": "b", "queue": "{{{queue}}}", "delay_seconds": 60},
                      {"kind": "c", "queue": "{{{queue}}}", "args": {"n": 3}}]}
            """);

        Assert.Equal(201, response.Status);
        var jobs = response.Read<EnqueueBatchResponse>().Jobs;
        Assert.Equal(["a", "b", "c"], jobs.Select(job => job.Kind));
        Assert.Equal(JobState.Scheduled, jobs[1].State);
        Assert.Equal(3, jobs[2].Args.GetProperty("n").GetInt32());
        Assert.Equal(3, await CountAsync(queue));
    }

    [Fact]
    public async Task Batch_with_one_bad_job_stores_nothing()
    {
        var queue = ApiRequests.UniqueQueue();
        var response = await api.PostJsonAsync("/v1/jobs/batch", $$$"""
            {"jobs": [{"kind": "ok", "queue": "{{{queue}}}"}, {"kind": "ok", "queue": "{{{queue}}}"},
                      {"kind": "ok", "queue": "{{{queue}}}"}, {"kind": "", "queue": "{{{queue}}}"},
                      {"kind": "ok", "queue": "{{{queue}}}", "max_attempts": 0}]}
            """);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(ProblemTypes.ValidationFailed, response.Json.GetProperty("type").GetString());
        Assert.Contains("jobs[3].kind", response.ErrorFields);
        Assert.Contains("jobs[4].max_attempts", response.ErrorFields);
        Assert.Equal(2, response.ErrorFields.Count);
        Assert.Equal(0, await CountAsync(queue));
    }

    [Fact]
    public async Task Batch_names_args_path_of_bad_job()
    {
        var queue = ApiRequests.UniqueQueue();
        var badArgs = """{"a": {"b": [0, 1, "x\u0000"]}}""";
        var response = await api.PostJsonAsync("/v1/jobs/batch", $$$"""
            {"jobs": [{"kind": "ok", "queue": "{{{queue}}}"}, {"kind": "ok", "queue": "{{{queue}}}", "args": {{{badArgs}}} }]}
            """);

        Assert.Equal(400, response.Status);
        Assert.Equal(["jobs[1].args.a.b[2]"], response.ErrorFields);
        Assert.Equal(0, await CountAsync(queue));
    }

    [Fact]
    public async Task Batch_of_max_size_is_stored()
    {
        var queue = ApiRequests.UniqueQueue();
        var body = new StringBuilder("{\"jobs\": [");
        for (var i = 0; i < EnqueueBatchRequest.MaxJobs; i++)
        {
            body.Append(i == 0 ? "" : ",");
            body.Append($$$"""{"kind": "bulk", "queue": "{{{queue}}}", "args": {"i": {{{i}}}, "pad": "{{{new string('x', 1000)}}}"}}""");
        }

        var response = await api.PostJsonAsync("/v1/jobs/batch", body.Append("]}").ToString());

        Assert.Equal(201, response.Status);
        Assert.Equal(EnqueueBatchRequest.MaxJobs, response.Read<EnqueueBatchResponse>().Jobs.Count);
        Assert.Equal(EnqueueBatchRequest.MaxJobs, await CountAsync(queue));
    }

    [Fact]
    public async Task Batch_over_max_size_is_rejected()
    {
        var queue = ApiRequests.UniqueQueue();
        var jobs = string.Join(",", Enumerable.Repeat($$$"""{"kind": "bulk", "queue": "{{{queue}}}"}""", EnqueueBatchRequest.MaxJobs + 1));

        var response = await api.PostJsonAsync("/v1/jobs/batch", "{\"jobs\": [" + jobs + "]}");

        Assert.Equal(400, response.Status);
        Assert.Equal(["jobs"], response.ErrorFields);
        Assert.Equal(0, await CountAsync(queue));
    }

    [Fact]
    public async Task Empty_batch_is_rejected()
    {
        var response = await api.PostJsonAsync("/v1/jobs/batch", """{"jobs": []}""");

        Assert.Equal(400, response.Status);
        Assert.Equal(["jobs"], response.ErrorFields);
    }
}
