using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>The error and args list filters, counting matches, and bulk actions over a filter.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class BulkActionTests(ApiHost api)
{
    private async Task<Job[]> EnqueueScheduledAsync(string queue, int count, string args = "{}")
    {
        var jobs = new Job[count];
        for (var i = 0; i < count; i++)
        {
            jobs[i] = await api.EnqueueAsync(
                $$"""{"kind": "later", "queue": "{{queue}}", "delay_seconds": 3600, "args": {{args}} }""");
        }

        return jobs;
    }

    private async Task<Job> FailedJobAsync(string queue, string message)
    {
        await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}", "max_attempts": 1}""");
        var job = Assert.Single(await api.Database.Jobs.ClaimAsync(
            new QueueFilter([queue], false), 1, "test-worker", TimeSpan.FromMinutes(5), CancellationToken.None));
        await api.Database.Jobs.FailAsync(
            job.Id, job.Attempt, new JobFailure("exception", message), TimeSpan.Zero, retry: false, CancellationToken.None);
        return job;
    }

    private async Task<long[]> ListIdsAsync(string query)
    {
        var response = await api.GetAsync("/v1/jobs?" + query);
        Assert.True(response.Status == 200, response.Body);
        return response.Read<JobPage>().Jobs.Select(job => job.Id).ToArray();
    }

    private async Task<JobCount> CountAsync(string query)
    {
        var response = await api.GetAsync("/v1/jobs/count?" + query);
        Assert.True(response.Status == 200, response.Body);
        return response.Read<JobCount>();
    }

    private async Task<BulkJobActionResult> BulkAsync(string body)
    {
        var response = await api.PostJsonAsync("/v1/jobs/bulk", body);
        Assert.True(response.Status == 200, response.Body);
        return response.Read<BulkJobActionResult>();
    }

    [Fact]
    public async Task Error_filter_matches_message_case_insensitively()
    {
        var queue = ApiRequests.UniqueQueue();
        var declined = await FailedJobAsync(queue, "Card DECLINED by issuer");
        await FailedJobAsync(queue, "timeout talking to the bank");
        await EnqueueScheduledAsync(queue, 1);

        Assert.Equal([declined.Id], await ListIdsAsync($"queue={queue}&error=declined"));
        Assert.Equal(2, (await ListIdsAsync($"queue={queue}&error=exception")).Length);
    }

    [Fact]
    public async Task Error_filter_treats_wildcards_as_text()
    {
        var queue = ApiRequests.UniqueQueue();
        var percent = await FailedJobAsync(queue, "disk 100% full");
        await FailedJobAsync(queue, "disk 1000 full");

        Assert.Equal([percent.Id], await ListIdsAsync($"queue={queue}&error={Uri.EscapeDataString("100%")}"));
        Assert.Empty(await ListIdsAsync($"queue={queue}&error=_isk"));
    }

    [Fact]
    public async Task Args_filter_matches_containment()
    {
        var queue = ApiRequests.UniqueQueue();
        var match = (await EnqueueScheduledAsync(queue, 1, """{"customer": {"id": 42, "tier": "gold"}, "n": 1}"""))[0];
        await EnqueueScheduledAsync(queue, 1, """{"customer": {"id": 43, "tier": "gold"}, "n": 2}""");

        var filter = Uri.EscapeDataString("""{"customer": {"id": 42}}""");
        Assert.Equal([match.Id], await ListIdsAsync($"queue={queue}&args={filter}"));
        Assert.Equal(2, (await ListIdsAsync($"queue={queue}&args={Uri.EscapeDataString("""{"customer":{"tier":"gold"}}""")}")).Length);
    }

    [Theory]
    [InlineData("args=not-json", "args")]
    [InlineData("args=%5B1%5D", "args")]
    [InlineData("args=%7B%22a%22%3A%22%5Cu0000%22%7D", "args")]
    [InlineData("error=", "error")]
    [InlineData("state=failed", "state")]
    [InlineData("action=delete", "action")]
    public async Task Invalid_count_filter_is_rejected(string query, string field)
    {
        var response = await api.GetAsync("/v1/jobs/count?" + query);

        Assert.Equal(400, response.Status);
        Assert.Equal(ProblemTypes.ValidationFailed, response.Json.GetProperty("type").GetString());
        Assert.Equal([field], response.ErrorFields);
    }

    [Fact]
    public async Task Duplicate_args_property_is_rejected()
    {
        var response = await api.GetAsync("/v1/jobs?args=" + Uri.EscapeDataString("""{"customer": {"id": 42, "id": 43}}"""));

        Assert.Equal(400, response.Status);
        Assert.Equal(["args"], response.ErrorFields);
        Assert.Contains("must not name a property twice", response.Json.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_list_args_filter_is_rejected()
    {
        var response = await api.GetAsync("/v1/jobs?args=" + Uri.EscapeDataString("""{"a": """));

        Assert.Equal(400, response.Status);
        Assert.Equal(["args"], response.ErrorFields);
    }

    [Fact]
    public async Task Count_with_action_counts_only_changeable_jobs()
    {
        var queue = ApiRequests.UniqueQueue();
        var scheduled = await EnqueueScheduledAsync(queue, 3);
        await FailedJobAsync(queue, "boom");

        var all = await CountAsync($"queue={queue}");
        var runnable = await CountAsync($"queue={queue}&action=run");
        var retryable = await CountAsync($"queue={queue}&action=retry");

        Assert.Equal(4, all.Count);
        Assert.Equal(3, runnable.Count);
        Assert.Equal(scheduled[^1].Id, runnable.MaxId);
        Assert.Equal(4, retryable.Count);
        Assert.Equal(0, (await CountAsync($"queue={ApiRequests.UniqueQueue()}")).Count);
    }

    [Fact]
    public async Task Bulk_cancel_changes_only_the_filter_up_to_max_id()
    {
        var queue = ApiRequests.UniqueQueue();
        var counted = await EnqueueScheduledAsync(queue, 5);
        var count = await CountAsync($"queue={queue}&action=cancel");
        var later = await EnqueueScheduledAsync(queue, 1);
        var elsewhere = await EnqueueScheduledAsync(ApiRequests.UniqueQueue(), 1);

        var result = await BulkAsync($$"""{"action": "cancel", "filter": {"queue": "{{queue}}"}, "max_id": {{count.MaxId}} }""");

        Assert.Equal(5, result.Changed);
        Assert.Equal(JobActionName.Cancel, result.Action);
        foreach (var job in counted)
        {
            Assert.Equal(JobState.Cancelled, (await api.Database.Jobs.GetAsync(job.Id, CancellationToken.None))!.State);
        }

        Assert.Equal(JobState.Scheduled, (await api.Database.Jobs.GetAsync(later[0].Id, CancellationToken.None))!.State);
        Assert.Equal(JobState.Scheduled, (await api.Database.Jobs.GetAsync(elsewhere[0].Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Bulk_cancel_flags_running_jobs()
    {
        var queue = ApiRequests.UniqueQueue();
        await api.EnqueueAsync($$"""{"kind": "work", "queue": "{{queue}}"}""");
        var running = Assert.Single(await api.Database.Jobs.ClaimAsync(
            new QueueFilter([queue], false), 1, "test-worker", TimeSpan.FromMinutes(5), CancellationToken.None));

        var result = await BulkAsync($$"""{"action": "cancel", "filter": {"queue": "{{queue}}", "state": "running"} }""");

        Assert.Equal(1, result.Changed);
        var job = (await api.Database.Jobs.GetAsync(running.Id, CancellationToken.None))!;
        Assert.Equal(JobState.Running, job.State);
        Assert.NotNull(job.CancelRequestedAt);
    }

    [Fact]
    public async Task Bulk_retry_by_error_text_retries_matching_failures()
    {
        var queue = ApiRequests.UniqueQueue();
        var declined = await FailedJobAsync(queue, "card declined");
        var other = await FailedJobAsync(queue, "bank offline");

        var result = await BulkAsync($$"""{"action": "retry", "filter": {"queue": "{{queue}}", "error": "DECLINED"} }""");

        Assert.Equal(1, result.Changed);
        var retried = (await api.Database.Jobs.GetAsync(declined.Id, CancellationToken.None))!;
        Assert.Equal(JobState.Available, retried.State);
        Assert.Equal(2, retried.MaxAttempts);
        Assert.Equal(JobState.Discarded, (await api.Database.Jobs.GetAsync(other.Id, CancellationToken.None))!.State);
    }

    [Fact]
    public async Task Bulk_discard_and_run_by_args()
    {
        var queue = ApiRequests.UniqueQueue();
        var gold = await EnqueueScheduledAsync(queue, 2, """{"tier": "gold"}""");
        var silver = await EnqueueScheduledAsync(queue, 2, """{"tier": "silver"}""");

        var ran = await BulkAsync($$"""{"action": "run", "filter": {"queue": "{{queue}}", "args": {"tier": "gold"} } }""");
        var discarded = await BulkAsync($$"""{"action": "discard", "filter": {"queue": "{{queue}}", "state": "scheduled"} }""");

        Assert.Equal(2, ran.Changed);
        Assert.Equal(2, discarded.Changed);
        Assert.All(gold, job => Assert.Equal(JobState.Available, api.Database.Jobs.GetAsync(job.Id, CancellationToken.None).Result!.State));
        Assert.All(silver, job => Assert.Equal(JobState.Discarded, api.Database.Jobs.GetAsync(job.Id, CancellationToken.None).Result!.State));
    }

    [Fact]
    public async Task Bulk_runs_in_batches_until_every_match_changed()
    {
        var queue = ApiRequests.UniqueQueue();
        var jobs = await EnqueueScheduledAsync(queue, 20);

        var outcome = await api.Database.Jobs.BulkAsync(
            JobAction.Discard, new JobFilter(queue, null, null, null), null, batchSize: 7, CancellationToken.None);

        Assert.Equal(20, outcome.Changed);
        Assert.Equal(3, outcome.Batches);
        var counted = await api.Database.ScalarAsync<long>(
            "SELECT count(*) FROM jobqueue.jobs WHERE queue = $1 AND state = 'discarded'", queue);
        Assert.Equal(20, counted);
        Assert.True(outcome.UpperId >= jobs[^1].Id);
    }

    [Theory]
    [InlineData("""{"filter": {}}""", "action")]
    [InlineData("""{"action": "explode", "filter": {}}""", "action")]
    [InlineData("""{"action": "cancel", "filter": {"args": [1]}}""", "filter.args")]
    [InlineData("""{"action": "cancel", "filter": {"args": {"id": 1, "id": 2}}}""", "filter.args")]
    [InlineData("""{"action": "cancel", "filter": {"state": "failed"}}""", "filter.state")]
    [InlineData("""{"action": "cancel", "filter": {"error": ""}}""", "filter.error")]
    [InlineData("""{"action": "cancel", "filter": {}, "max_id": 0}""", "max_id")]
    [InlineData("""{"action": "cancel", "filter": {"queues": "x"}}""", "filter.queues")]
    public async Task Invalid_bulk_request_is_rejected(string body, string field)
    {
        var response = await api.PostJsonAsync("/v1/jobs/bulk", body);

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Contains(field, response.ErrorFields.Concat([response.Json.GetProperty("detail").GetString() ?? ""]),
            StringComparer.Ordinal);
    }

    [Fact]
    public async Task Bulk_without_matches_changes_nothing()
    {
        var result = await BulkAsync(
            $$"""{"action": "retry", "filter": {"queue": "{{ApiRequests.UniqueQueue()}}"} }""");

        Assert.Equal(0, result.Changed);
        Assert.Equal(1, result.Batches);
        Assert.Equal(JsonValueKind.Number, JsonSerializer.SerializeToElement(result.MaxId).ValueKind);
    }
}
