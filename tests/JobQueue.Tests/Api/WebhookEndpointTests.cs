using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using StandardWebhooks;

namespace JobQueue.Tests.Api;

/// <summary>
/// Endpoints managed over <c>/v1/endpoints</c>, per-job URLs, completion callbacks and attempt
/// records, through the API host in async mode and a real receiver on loopback.
/// </summary>
public sealed class WebhookEndpointTests(WebhookApiFixture fixture) : IClassFixture<WebhookApiFixture>
{
    private static string Unique(string prefix) => prefix + "." + Guid.NewGuid().ToString("N")[..10];

    private async Task<WebhookEndpointWithSecret> CreateEndpointAsync(string kind, string path, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["url"] = fixture.Receiver.Url(path), ["kinds"] = new[] { kind } };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                body[property.Name] = property.Value;
            }
        }

        var (status, text, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/endpoints", body);
        Assert.True(status == 201, $"create returned {status}: {text}");

        // Workers reload endpoints every 100 ms here, so after two intervals every worker has it.
        await Task.Delay(300);
        return JsonSerializer.Deserialize<WebhookEndpointWithSecret>(text)!;
    }

    private async Task<Job> EnqueueAsync(object request)
    {
        var (status, text, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/jobs", request);
        Assert.True(status == 201, $"enqueue returned {status}: {text}");
        return JsonSerializer.Deserialize<Job>(text)!;
    }

    private async Task<Job> GetJobAsync(long id)
    {
        var (status, text, _) = await fixture.SendAsync(HttpMethod.Get, $"/v1/jobs/{id}");
        Assert.Equal(200, status);
        return JsonSerializer.Deserialize<Job>(text)!;
    }

    private List<ReceivedDelivery> DeliveriesTo(string path) => fixture.Receiver.Deliveries.Where(d => d.Path == path).ToList();

    [Fact]
    public async Task Secret_is_shown_only_by_create_and_rotate()
    {
        var kind = Unique("secret");
        var path = Unique("secret-path");
        var created = await CreateEndpointAsync(kind, path);

        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(created.Secret["whsec_".Length..]).Length);
        var (getStatus, getBody, _) = await fixture.SendAsync(HttpMethod.Get, $"/v1/endpoints/{created.Id}");
        Assert.Equal(200, getStatus);
        Assert.DoesNotContain(created.Secret["whsec_".Length..], getBody, StringComparison.Ordinal);
        Assert.DoesNotContain("\"secret\"", getBody, StringComparison.Ordinal);

        var (rotateStatus, rotateBody, _) = await fixture.SendAsync(HttpMethod.Post, $"/v1/endpoints/{created.Id}/rotate-secret");
        Assert.Equal(200, rotateStatus);
        var rotated = JsonSerializer.Deserialize<WebhookEndpointWithSecret>(rotateBody)!;
        Assert.NotEqual(created.Secret, rotated.Secret);
        Assert.NotNull(rotated.SecretRotatedAt);
        Assert.True(rotated.PreviousSecretExpiresAt > DateTimeOffset.UtcNow.AddHours(23));

        var (listStatus, listBody, _) = await fixture.SendAsync(HttpMethod.Get, "/v1/endpoints");
        Assert.Equal(200, listStatus);
        Assert.Contains($"\"id\":{created.Id},", listBody, StringComparison.Ordinal);
        foreach (var secret in new[] { created.Secret, rotated.Secret })
        {
            Assert.DoesNotContain(secret["whsec_".Length..], listBody, StringComparison.Ordinal);
        }

        // Deliveries carry both signatures during the window, the new one first.
        await Task.Delay(300);
        var job = await EnqueueAsync(new { kind });
        var done = await fixture.Database.Jobs.WaitForFinalAsync(job.Id);
        Assert.Equal(JobState.Completed, done.State);
        var delivery = Assert.Single(DeliveriesTo(path));
        new StandardWebhook(rotated.Secret).Verify(delivery.Body, delivery.RawHeaders);
        var signatures = delivery.Headers["webhook-signature"].Split(' ');
        Assert.Equal(2, signatures.Length);
        var previousOnly = new HeaderDictionary(delivery.RawHeaders.ToDictionary()) { ["webhook-signature"] = signatures[1] };
        new StandardWebhook(created.Secret).Verify(delivery.Body, previousOnly);

        foreach (var secret in new[] { created.Secret, rotated.Secret, fixture.JobUrlSecret })
        {
            var encoded = secret["whsec_".Length..];
            Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(encoded, StringComparison.Ordinal));
        }

        Assert.Contains(fixture.Logs.Lines, line => line.Contains($"Rotated the signing secret of webhook endpoint {created.Id}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Gone_discards_job_and_disables_endpoint()
    {
        var kind = Unique("gone");
        var path = Unique("gone-path");
        var gone = true;
        fixture.Receiver.Respond(path, context =>
        {
            context.Response.StatusCode = Volatile.Read(ref gone) ? 410 : 200;
            return Task.CompletedTask;
        });
        var endpoint = await CreateEndpointAsync(kind, path);

        var first = await EnqueueAsync(new { kind, max_attempts = 5 });
        var discarded = await fixture.Database.Jobs.WaitForFinalAsync(first.Id);

        Assert.Equal(JobState.Discarded, discarded.State);
        Assert.Equal(1, discarded.Attempt);
        var error = Assert.Single(discarded.Errors);
        Assert.Equal("gone", error.Reason);
        Assert.Equal(410, error.StatusCode);
        var (_, body, _) = await fixture.SendAsync(HttpMethod.Get, $"/v1/endpoints/{endpoint.Id}");
        var disabled = JsonSerializer.Deserialize<WebhookEndpoint>(body)!;
        Assert.False(disabled.Enabled);
        Assert.Contains("410", disabled.DisabledReason, StringComparison.Ordinal);
        Assert.NotNull(disabled.DisabledAt);

        // A disabled endpoint is not called; its jobs fail and run out of attempts.
        var second = await EnqueueAsync(new { kind, max_attempts = 2 });
        var refused = await fixture.Database.Jobs.WaitForFinalAsync(second.Id);
        Assert.Equal(JobState.Discarded, refused.State);
        Assert.All(refused.Errors, e => Assert.Equal("endpoint_disabled", e.Reason));
        Assert.Single(DeliveriesTo(path));

        // Enabling it again over the API clears the reason, and deliveries resume.
        Volatile.Write(ref gone, false);
        var (status, replaced, _) = await fixture.SendAsync(HttpMethod.Put, $"/v1/endpoints/{endpoint.Id}",
            new { url = fixture.Receiver.Url(path), kinds = new[] { kind }, enabled = true });
        Assert.Equal(200, status);
        var enabled = JsonSerializer.Deserialize<WebhookEndpoint>(replaced)!;
        Assert.True(enabled.Enabled);
        Assert.Null(enabled.DisabledReason);
        await Task.Delay(300);
        var third = await EnqueueAsync(new { kind });
        Assert.Equal(JobState.Completed, (await fixture.Database.Jobs.WaitForFinalAsync(third.Id)).State);
    }

    [Fact]
    public async Task Job_url_is_delivered_signed_and_recorded()
    {
        var path = Unique("job-url");
        fixture.Receiver.Respond(path, async context =>
        {
            context.Response.ContentType = "application/json";
            context.Response.Headers["x-request-id"] = "req-42";
            await context.Response.WriteAsync("""{"accepted":true}""");
        });

        var job = await EnqueueAsync(new { kind = Unique("no.route"), webhook_url = fixture.Receiver.Url(path) });
        var done = await fixture.Database.Jobs.WaitForFinalAsync(job.Id);

        Assert.Equal(JobState.Completed, done.State);
        Assert.Equal(fixture.Receiver.Url(path), done.WebhookUrl);
        var delivery = Assert.Single(DeliveriesTo(path));
        new StandardWebhook(fixture.JobUrlSecret).Verify(delivery.Body, delivery.RawHeaders);
        var read = await GetJobAsync(job.Id);
        var attempt = Assert.Single(read.Attempts!);
        Assert.Equal(1, attempt.Attempt);
        Assert.Equal(200, attempt.StatusCode);
        Assert.Equal(fixture.Receiver.Url(path), attempt.Url);
        Assert.Equal("req-42", attempt.ResponseHeaders["x-request-id"]);
        Assert.StartsWith("application/json", attempt.ResponseHeaders["content-type"], StringComparison.Ordinal);
        Assert.Equal("""{"accepted":true}""", attempt.ResponseBody);
        Assert.Null(attempt.Error);
        Assert.True(attempt.LatencyMs > 0);
        Assert.Null(attempt.EndpointId);
    }

    [Fact]
    public async Task Attempt_records_show_failure_then_bounded_body()
    {
        var kind = Unique("records");
        var path = Unique("records-path");
        var calls = 0;
        fixture.Receiver.Respond(path, async context =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                context.Response.StatusCode = 500;
                await context.Response.WriteAsync("boom");
                return;
            }

            await context.Response.WriteAsync(new string('x', 5000));
        });
        var endpoint = await CreateEndpointAsync(kind, path);

        var job = await EnqueueAsync(new { kind });
        Assert.Equal(JobState.Completed, (await fixture.Database.Jobs.WaitForFinalAsync(job.Id)).State);

        var attempts = (await GetJobAsync(job.Id)).Attempts!;
        Assert.Equal(2, attempts.Count);
        Assert.Equal(500, attempts[0].StatusCode);
        Assert.Equal("boom", attempts[0].ResponseBody);
        Assert.Contains("500", attempts[0].Error, StringComparison.Ordinal);
        Assert.Equal(endpoint.Id, attempts[0].EndpointId);
        Assert.Equal(200, attempts[1].StatusCode);
        Assert.Equal(new string('x', 1024), attempts[1].ResponseBody);
        Assert.Null(attempts[1].Error);

        var (_, listBody, _) = await fixture.SendAsync(HttpMethod.Get, $"/v1/jobs?kind={kind}");
        Assert.DoesNotContain("\"attempts\"", listBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Job_url_to_blocked_address_is_refused()
    {
        var kind = Unique("blocked");
        var (status, body, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/jobs",
            new { kind, webhook_url = "http://[::1]:9/hook", callback_url = "ftp://127.0.0.1/x" });

        Assert.Equal(400, status);
        Assert.Contains("\"webhook_url\"", body, StringComparison.Ordinal);
        Assert.Contains("internal address", body, StringComparison.Ordinal);
        Assert.Contains("\"callback_url\"", body, StringComparison.Ordinal);

        // A job stored without the API's check is still stopped by the guard at connect time.
        // ::1 is loopback but outside the allowed 127.0.0.0/8, and nothing listens on port 9.
        var stored = await fixture.Database.Jobs.InsertManyAsync(
            [new NewJob("default", kind, "{}", 0, 3, null, [], null, null) { WebhookUrl = "http://[::1]:9/hook" }],
            CancellationToken.None);
        var done = await fixture.Database.Jobs.WaitForFinalAsync(stored[0].Id);
        Assert.Equal(JobState.Discarded, done.State);
        Assert.Equal("blocked_destination", Assert.Single(done.Errors).Reason);
        var attempt = Assert.Single((await GetJobAsync(done.Id)).Attempts!);
        Assert.Null(attempt.StatusCode);
        Assert.Contains("blocked", attempt.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Callback_is_delivered_once_and_signed()
    {
        var path = Unique("callback");
        var job = await EnqueueAsync(new
        {
            kind = "echo",
            args = new { order = 7 },
            callback_url = fixture.Receiver.Url(path),
        });

        Assert.Equal(JobState.Completed, (await fixture.Database.Jobs.WaitForFinalAsync(job.Id)).State);
        await WaitForAsync(() => DeliveriesTo(path).Count >= 1);
        await Task.Delay(500);

        var delivery = Assert.Single(DeliveriesTo(path));
        new StandardWebhook(fixture.JobUrlSecret).Verify(delivery.Body, delivery.RawHeaders);
        using var payload = JsonDocument.Parse(delivery.Body);
        Assert.Equal(job.Id, payload.RootElement.GetProperty("job_id").GetInt64());
        Assert.Equal("completed", payload.RootElement.GetProperty("state").GetString());
        Assert.Equal(7, payload.RootElement.GetProperty("result").GetProperty("order").GetInt32());
        var callbackJobs = await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM jobqueue.jobs WHERE kind = 'jobqueue.callback' AND (args->>'job_id')::bigint = $1", job.Id);
        Assert.Equal(1, callbackJobs);
    }

    [Fact]
    public async Task Callback_reports_discarded_job()
    {
        var path = Unique("callback-fail");
        var job = await EnqueueAsync(new
        {
            kind = "fail",
            args = new { message = "disk full" },
            max_attempts = 1,
            callback_url = fixture.Receiver.Url(path),
        });

        Assert.Equal(JobState.Discarded, (await fixture.Database.Jobs.WaitForFinalAsync(job.Id)).State);
        await WaitForAsync(() => DeliveriesTo(path).Count >= 1);

        var delivery = Assert.Single(DeliveriesTo(path));
        new StandardWebhook(fixture.JobUrlSecret).Verify(delivery.Body, delivery.RawHeaders);
        using var payload = JsonDocument.Parse(delivery.Body);
        Assert.Equal("discarded", payload.RootElement.GetProperty("state").GetString());
        Assert.Contains("disk full", payload.RootElement.GetProperty("last_error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_stores_callback_in_same_statement()
    {
        var path = Unique("callback-cancel");
        var job = await EnqueueAsync(new { kind = "noop", delay_seconds = 3600, callback_url = fixture.Receiver.Url(path) });

        var (status, _, _) = await fixture.SendAsync(HttpMethod.Post, $"/v1/jobs/{job.Id}/cancel");

        // The callback job exists as soon as the cancel returns, because the trigger inserted it
        // in the cancel's own statement.
        Assert.Equal(200, status);
        var callbackJobs = await fixture.Database.ScalarAsync<long>(
            "SELECT count(*) FROM jobqueue.jobs WHERE kind = 'jobqueue.callback' AND (args->>'job_id')::bigint = $1", job.Id);
        Assert.Equal(1, callbackJobs);
        await WaitForAsync(() => DeliveriesTo(path).Count >= 1);
        using var payload = JsonDocument.Parse(Assert.Single(DeliveriesTo(path)).Body);
        Assert.Equal("cancelled", payload.RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Kind_served_by_another_endpoint_is_rejected()
    {
        var kind = Unique("taken");
        var first = await CreateEndpointAsync(kind, Unique("taken-path"));

        var (status, body, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/endpoints",
            new { url = fixture.Receiver.Url("other"), kinds = new[] { Unique("free"), kind } });

        Assert.Equal(409, status);
        Assert.Contains(ProblemTypes.EndpointKindTaken, body, StringComparison.Ordinal);
        Assert.Contains($"Webhook endpoint {first.Id} already serves '{kind}'", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Delete_removes_endpoint()
    {
        var endpoint = await CreateEndpointAsync(Unique("deleted"), Unique("deleted-path"));

        var (status, _, _) = await fixture.SendAsync(HttpMethod.Delete, $"/v1/endpoints/{endpoint.Id}");
        var (getStatus, body, _) = await fixture.SendAsync(HttpMethod.Get, $"/v1/endpoints/{endpoint.Id}");
        var (againStatus, _, _) = await fixture.SendAsync(HttpMethod.Delete, $"/v1/endpoints/{endpoint.Id}");

        Assert.Equal(204, status);
        Assert.Equal(404, getStatus);
        Assert.Contains(ProblemTypes.NotFound, body, StringComparison.Ordinal);
        Assert.Equal(404, againStatus);
    }

    [Theory]
    [InlineData("""{"url":"ftp://example.com/x","kinds":["a"]}""", "url")]
    [InlineData("""{"url":"https://user:pw@example.com/x","kinds":["a"]}""", "url")]
    [InlineData("""{"url":"https://10.1.2.3/x","kinds":["a"]}""", "url")]
    [InlineData("""{"url":"https://example.com/x","kinds":[]}""", "kinds")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a","a"]}""", "kinds")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a"],"headers":{"webhook-signature":"v1,x"}}""", "headers.webhook-signature")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a"],"headers":{"x-key":"a\nb"}}""", "headers.x-key")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a"],"retry_statuses":[410]}""", "retry_statuses[0]")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a"],"retry_statuses":[500]}""", "retry_statuses[0]")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a"],"timeout_seconds":0}""", "timeout_seconds")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a"],"concurrency_limit":0}""", "concurrency_limit")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a"],"rate_limit_period_seconds":5}""", "rate_limit_period_seconds")]
    [InlineData("""{"url":"https://example.com/x","kinds":["a"],"secret":"whsec_abc"}""", "secret")]
    public async Task Invalid_endpoint_is_rejected(string json, string field)
    {
        var (status, body, _) = await fixture.SendAsync(HttpMethod.Post, "/v1/endpoints", json);

        Assert.Equal(400, status);
        Assert.Contains($"\"{field}\"", body, StringComparison.Ordinal);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTimeOffset.UtcNow + JobWaits.DefaultTimeout;
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "The condition did not hold within the wait.");
            await Task.Delay(50);
        }
    }
}
