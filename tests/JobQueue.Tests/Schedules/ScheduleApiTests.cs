using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;
using JobQueue.Tests.Api;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Schedules;

/// <summary>The <c>/v1/schedules</c> endpoints: create, replace, read, delete, enable, disable, run now, and bad input.</summary>
[Collection(ApiHostGroup.Name)]
public sealed class ScheduleApiTests(ApiHost api)
{
    private static string UniqueName() => "s" + Guid.NewGuid().ToString("N")[..10];

    private Task<ApiResponse> PutAsync(string name, string body) => api.SendAsync(HttpMethod.Put, "/v1/schedules/" + name, body);

    [Fact]
    public async Task Put_creates_with_defaults_then_replaces()
    {
        var name = UniqueName();

        var created = await PutAsync(name, """{"cron": "0 3 * * *", "job": {"kind": "report.build"}}""");
        var replaced = await PutAsync(name, """
            {"cron": "*/5 * * * * *", "time_zone": "Europe/Berlin", "enabled": true,
             "job": {"kind": "report.build", "queue": "reports", "args": {"day": "today"}, "priority": 3,
                     "max_attempts": 2, "timeout_seconds": 60, "tags": ["nightly"]},
             "missed": "catch_up", "catch_up_limit": 4, "overlap": "skip"}
            """);

        Assert.Equal(201, created.Status);
        Assert.Equal("/v1/schedules/" + name, created.Headers.Location?.OriginalString);
        var first = created.Read<Schedule>();
        Assert.Equal(name, first.Name);
        Assert.Equal("UTC", first.TimeZone);
        Assert.True(first.Enabled);
        Assert.Equal(MissedPolicy.Skip, first.Missed);
        Assert.Equal(10, first.CatchUpLimit);
        Assert.Equal(OverlapPolicy.Allow, first.Overlap);
        Assert.Equal(ScheduleSource.Api, first.Source);
        Assert.Equal("default", first.Job.Queue);
        Assert.Equal(20, first.Job.MaxAttempts);
        Assert.Equal(0, first.Job.Priority);
        Assert.NotNull(first.NextRunAt);
        Assert.Equal(3, first.NextRunAt!.Value.UtcDateTime.Hour);
        Assert.Null(first.LastRunAt);

        Assert.Equal(200, replaced.Status);
        var second = replaced.Read<Schedule>();
        Assert.Equal("Europe/Berlin", second.TimeZone);
        Assert.Equal(MissedPolicy.CatchUp, second.Missed);
        Assert.Equal(4, second.CatchUpLimit);
        Assert.Equal(OverlapPolicy.Skip, second.Overlap);
        Assert.Equal("reports", second.Job.Queue);
        Assert.Equal("today", second.Job.Args!.Value.GetProperty("day").GetString());
        Assert.Equal(["nightly"], second.Job.Tags);
        Assert.True(second.NextRunAt < DateTimeOffset.UtcNow.AddSeconds(6), "A new cron expression gets a new next slot.");
    }

    [Fact]
    public async Task Get_and_list_show_schedule()
    {
        var name = UniqueName();
        Assert.Equal(201, (await PutAsync(name, """{"cron": "0 3 * * *", "job": {"kind": "noop"}}""")).Status);

        var one = await api.GetAsync("/v1/schedules/" + name);
        var all = await api.GetAsync("/v1/schedules");

        Assert.Equal(200, one.Status);
        Assert.Equal("0 3 * * *", one.Read<Schedule>().Cron);
        Assert.Equal(200, all.Status);
        Assert.Contains(all.Read<ScheduleList>().Items, schedule => schedule.Name == name);
    }

    [Fact]
    public async Task Unknown_schedule_is_not_found()
    {
        var name = UniqueName();

        foreach (var (method, url) in new[]
        {
            (HttpMethod.Get, $"/v1/schedules/{name}"),
            (HttpMethod.Delete, $"/v1/schedules/{name}"),
            (HttpMethod.Post, $"/v1/schedules/{name}/enable"),
            (HttpMethod.Post, $"/v1/schedules/{name}/disable"),
            (HttpMethod.Post, $"/v1/schedules/{name}/run"),
        })
        {
            var response = await api.SendAsync(method, url, body: null, contentType: null);
            Assert.Equal(404, response.Status);
            Assert.Equal("application/problem+json", response.ContentType);
            Assert.Equal(ProblemTypes.NotFound, response.Json.GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Delete_removes_schedule()
    {
        var name = UniqueName();
        Assert.Equal(201, (await PutAsync(name, """{"cron": "0 3 * * *", "job": {"kind": "noop"}}""")).Status);

        var deleted = await api.SendAsync(HttpMethod.Delete, "/v1/schedules/" + name, body: null, contentType: null);

        Assert.Equal(204, deleted.Status);
        Assert.Equal(404, (await api.GetAsync("/v1/schedules/" + name)).Status);
    }

    [Fact]
    public async Task Disable_and_enable_set_next_slot()
    {
        var name = UniqueName();
        Assert.Equal(201, (await PutAsync(name, """{"cron": "0 3 * * *", "job": {"kind": "noop"}}""")).Status);

        var disabled = await api.PostJsonAsync($"/v1/schedules/{name}/disable", "");
        var enabled = await api.PostJsonAsync($"/v1/schedules/{name}/enable", "");

        Assert.Equal(200, disabled.Status);
        Assert.False(disabled.Read<Schedule>().Enabled);
        Assert.Null(disabled.Read<Schedule>().NextRunAt);
        Assert.Equal(200, enabled.Status);
        Assert.True(enabled.Read<Schedule>().Enabled);
        Assert.NotNull(enabled.Read<Schedule>().NextRunAt);
    }

    [Fact]
    public async Task Run_now_enqueues_tagged_job()
    {
        var name = UniqueName();
        var queue = ApiRequests.UniqueQueue();
        Assert.Equal(201, (await PutAsync(name, $$$"""
            {"cron": "0 3 * * *", "enabled": false,
             "job": {"kind": "report.build", "queue": "{{{queue}}}", "args": {"n": 1}, "tags": ["manual"]}}
            """)).Status);

        var run = await api.PostJsonAsync($"/v1/schedules/{name}/run", "");

        Assert.Equal(202, run.Status);
        var job = run.Read<Job>();
        Assert.Equal("/v1/jobs/" + job.Id, run.Headers.Location?.OriginalString);
        Assert.Equal("report.build", job.Kind);
        Assert.Equal(queue, job.Queue);
        Assert.Equal(JobState.Available, job.State);
        Assert.Equal(1, job.Args.GetProperty("n").GetInt32());
        Assert.Equal(["manual", "schedule:" + name], job.Tags);
        var schedule = (await api.GetAsync("/v1/schedules/" + name)).Read<Schedule>();
        Assert.Equal(job.Id, schedule.LastJobId);
        Assert.NotNull(schedule.LastRunAt);
    }

    [Fact]
    public async Task Config_schedule_cannot_be_replaced()
    {
        var name = UniqueName();
        var definition = new PutScheduleRequest { Cron = "0 3 * * *", Job = new ScheduleJob { Kind = "noop" } };
        var row = ScheduleMapping.ToRow(name, definition, ScheduleMapping.WithDefaults(definition.Job, 20),
            ScheduleSource.Config, DateTimeOffset.UtcNow);
        row = row with { ConfigDigest = "test" };
        var store = new ScheduleStore(api.Database.DataSource);
        await store.SyncConfigAsync([.. (await store.ListAsync(CancellationToken.None)).Where(s => s.Source == "config"), row],
            CancellationToken.None);

        var put = await PutAsync(name, """{"cron": "0 4 * * *", "job": {"kind": "noop"}}""");
        var disable = await api.PostJsonAsync($"/v1/schedules/{name}/disable", "");

        Assert.Equal(409, put.Status);
        Assert.Equal(ProblemTypes.InvalidState, put.Json.GetProperty("type").GetString());
        Assert.Contains("configuration", put.Json.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(200, disable.Status);
        var current = (await api.GetAsync("/v1/schedules/" + name)).Read<Schedule>();
        Assert.Equal("0 3 * * *", current.Cron);
        Assert.Equal(ScheduleSource.Config, current.Source);
        Assert.False(current.Enabled);
        var delete = await api.SendAsync(HttpMethod.Delete, "/v1/schedules/" + name, body: null, contentType: null);
        Assert.Equal(204, delete.Status);
        Assert.Equal(404, (await api.GetAsync("/v1/schedules/" + name)).Status);
    }

    /// <param name="Field">Field expected in <c>errors</c>; null when the problem names no field.</param>
    public sealed record BadSchedule(string Name, string Method, string Url, string? Body, string Type, string? Field)
    {
        public override string ToString() => Name;
    }

    private static BadSchedule Invalid(string name, string body, string field) =>
        new(name, "PUT", "/v1/schedules/valid-name", body, ProblemTypes.ValidationFailed, field);

    private static BadSchedule Malformed(string name, string body, string? field) =>
        new(name, "PUT", "/v1/schedules/valid-name", body, ProblemTypes.MalformedRequest, field);

    public static TheoryData<BadSchedule> BadRequests() =>
    [
        Invalid("cron_missing", """{"job": {"kind": "a"}}""", "cron"),
        Invalid("cron_too_few_fields", """{"cron": "* * *", "job": {"kind": "a"}}""", "cron"),
        Invalid("cron_too_many_fields", """{"cron": "* * * * * * *", "job": {"kind": "a"}}""", "cron"),
        Invalid("cron_out_of_range", """{"cron": "61 * * * *", "job": {"kind": "a"}}""", "cron"),
        Invalid("cron_second_out_of_range", """{"cron": "60 * * * * *", "job": {"kind": "a"}}""", "cron"),
        Invalid("cron_never", """{"cron": "0 0 30 2 *", "job": {"kind": "a"}}""", "cron"),
        Invalid("cron_garbage", """{"cron": "every day", "job": {"kind": "a"}}""", "cron"),
        Invalid("zone_unknown", """{"cron": "* * * * *", "time_zone": "Mars/Olympus", "job": {"kind": "a"}}""", "time_zone"),
        Invalid("zone_windows", """{"cron": "* * * * *", "time_zone": "W. Europe Standard Time", "job": {"kind": "a"}}""", "time_zone"),
        Invalid("zone_path", """{"cron": "* * * * *", "time_zone": "../../etc/passwd", "job": {"kind": "a"}}""", "time_zone"),
        Invalid("zone_empty", """{"cron": "* * * * *", "time_zone": "", "job": {"kind": "a"}}""", "time_zone"),
        Invalid("job_missing", """{"cron": "* * * * *"}""", "job"),
        Invalid("job_kind_empty", """{"cron": "* * * * *", "job": {"kind": ""}}""", "job.kind"),
        Invalid("job_queue_invalid", """{"cron": "* * * * *", "job": {"kind": "a", "queue": "a b"}}""", "job.queue"),
        Invalid("job_queue_final_line_feed", """{"cron": "* * * * *", "job": {"kind": "a", "queue": "q\n"}}""", "job.queue"),
        Invalid("job_priority_range", """{"cron": "* * * * *", "job": {"kind": "a", "priority": 40000}}""", "job.priority"),
        Invalid("job_max_attempts_zero", """{"cron": "* * * * *", "job": {"kind": "a", "max_attempts": 0}}""", "job.max_attempts"),
        Invalid("job_timeout_negative", """{"cron": "* * * * *", "job": {"kind": "a", "timeout_seconds": -1}}""", "job.timeout_seconds"),
        Invalid("job_too_many_tags", """{"cron": "* * * * *", "job": {"kind": "a", "tags": [""" +
            string.Join(", ", Enumerable.Range(0, 32).Select(i => $"\"t{i}\"")) + "]}}", "job.tags"),
        Invalid("job_args_too_deep", """{"cron": "* * * * *", "job": {"kind": "a", "args": """ + new string('[', 40) + new string(']', 40) + "}}",
            "job.args" + string.Concat(Enumerable.Repeat("[0]", 32))),
        Invalid("catch_up_limit_zero", """{"cron": "* * * * *", "job": {"kind": "a"}, "catch_up_limit": 0}""", "catch_up_limit"),
        Invalid("catch_up_limit_large", """{"cron": "* * * * *", "job": {"kind": "a"}, "catch_up_limit": 1001}""", "catch_up_limit"),
        Malformed("missed_unknown", """{"cron": "* * * * *", "job": {"kind": "a"}, "missed": "sometimes"}""", "missed"),
        Malformed("overlap_unknown", """{"cron": "* * * * *", "job": {"kind": "a"}, "overlap": "never"}""", "overlap"),
        Malformed("enabled_string", """{"cron": "* * * * *", "job": {"kind": "a"}, "enabled": "yes"}""", "enabled"),
        Malformed("name_in_body", """{"name": "x", "cron": "* * * * *", "job": {"kind": "a"}}""", "name"),
        Malformed("job_run_at", """{"cron": "* * * * *", "job": {"kind": "a", "run_at": "2026-01-01T00:00:00Z"}}""", "job.run_at"),
        Malformed("cron_number", """{"cron": 5, "job": {"kind": "a"}}""", "cron"),
        Malformed("not_json", """{"cron": """, null),
        new("name_invalid", "PUT", "/v1/schedules/bad%20name", """{"cron": "* * * * *", "job": {"kind": "a"}}""",
            ProblemTypes.ValidationFailed, "name"),
        new("name_too_long", "PUT", "/v1/schedules/" + new string('n', 101), """{"cron": "* * * * *", "job": {"kind": "a"}}""",
            ProblemTypes.ValidationFailed, "name"),
        new("get_name_invalid", "GET", "/v1/schedules/bad%21", null, ProblemTypes.ValidationFailed, "name"),
        new("run_name_invalid", "POST", "/v1/schedules/bad%21/run", null, ProblemTypes.ValidationFailed, "name"),
    ];

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_request_gets_problem(BadSchedule request)
    {
        var response = await api.SendAsync(new HttpMethod(request.Method), request.Url, request.Body,
            request.Body is null ? null : "application/json");

        Assert.Equal(400, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(request.Type, response.Json.GetProperty("type").GetString());
        if (request.Field is not null)
        {
            Assert.Contains(request.Field, response.ErrorFields);
        }

        Assert.Equal(404, (await api.GetAsync("/v1/schedules/valid-name")).Status);
    }
}
