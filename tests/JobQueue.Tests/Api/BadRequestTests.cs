using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>
/// Every kind of bad request gets a problem response with the right status, type and field, and
/// none of them reaches the database as an error (which would be a 500).
/// </summary>
[Collection(ApiHostGroup.Name)]
public sealed class BadRequestTests(ApiHost api)
{
    private const string Json = "application/json";

    /// <param name="Field">Field expected in <c>errors</c>; null when the problem concerns the whole request.</param>
    public sealed record BadRequest(
        string Name, string Method, string Url, string? Body, string? ContentType, int Status, string Type, string? Field)
    {
        public override string ToString() => Name;
    }

    private static BadRequest Enqueue(string name, string body, string type, string field) =>
        new(name, "POST", "/v1/jobs", body, Json, 400, type, field);

    private static BadRequest Invalid(string name, string body, string field) =>
        Enqueue(name, body, ProblemTypes.ValidationFailed, field);

    private static BadRequest Malformed(string name, string body, string? field) =>
        new(name, "POST", "/v1/jobs", body, Json, 400, ProblemTypes.MalformedRequest, field);

    private static BadRequest Query(string name, string url, string field) =>
        new(name, "GET", url, null, null, 400, ProblemTypes.ValidationFailed, field);

    public static TheoryData<BadRequest> Cases() =>
    [
        Malformed("invalid_json", """{"kind": """, null),
        Malformed("trailing_garbage", """{"kind": "a"} x""", null),
        Malformed("empty_body", "", null),
        Malformed("array_body", "[]", null),
        Malformed("priority_as_string", """{"kind": "a", "priority": "high"}""", "priority"),
        Malformed("priority_fraction", """{"kind": "a", "priority": 1.5}""", "priority"),
        Malformed("kind_null", """{"kind": null}""", "kind"),
        Malformed("unknown_field", """{"kind": "a", "colour": "red"}""", "colour"),
        Malformed("number_as_string", """{"kind": "a", "priority": "1"}""", "priority"),
        Malformed("field_in_other_case", """{"kind": "a", "Kind": "b"}""", "Kind"),
        Malformed("duplicate_field", """{"kind": "a", "kind": "b"}""", null),
        Malformed("body_too_deep", """{"kind": "a", "args": """ + new string('[', 200) + new string(']', 200) + "}", null),
        Invalid("args_too_deep", """{"kind": "a", "args": """ + new string('[', 40) + new string(']', 40) + "}",
            "args" + string.Concat(Enumerable.Repeat("[0]", 32))),
        new("batch_args_too_deep", "POST", "/v1/jobs/batch",
            """{"jobs": [{"kind": "a", "args": """ + new string('[', 40) + new string(']', 40) + "}]}", Json, 400,
            ProblemTypes.ValidationFailed, "jobs[0].args" + string.Concat(Enumerable.Repeat("[0]", 32))),
        new("batch_wrong_type", "POST", "/v1/jobs/batch",
            """{"jobs": [{"kind": "a"}, {"kind": "b"}, {"kind": "c", "max_attempts": "x"}]}""", Json, 400,
            ProblemTypes.MalformedRequest, "jobs[2].max_attempts"),
        new("batch_unknown_field", "POST", "/v1/jobs/batch", """{"jobs": [], "extra": 1}""", Json, 400,
            ProblemTypes.MalformedRequest, "extra"),
        new("batch_null_job", "POST", "/v1/jobs/batch", """{"jobs": [{"kind": "a"}, null]}""", Json, 400,
            ProblemTypes.ValidationFailed, "jobs[1]"),
        Invalid("kind_missing", "{}", "kind"),
        Invalid("kind_empty", """{"kind": ""}""", "kind"),
        Invalid("kind_too_long", $$"""{"kind": "{{new string('k', 256)}}"}""", "kind"),
        Invalid("kind_with_nul", """{"kind": "a\u0000b"}""", "kind"),
        Invalid("kind_with_newline", """{"kind": "a\nb"}""", "kind"),
        Malformed("kind_lone_surrogate", """{"kind": "a\ud800"}""", "kind"),
        Invalid("queue_bad_characters", """{"kind": "a", "queue": "a b"}""", "queue"),
        Invalid("queue_empty", """{"kind": "a", "queue": ""}""", "queue"),
        Invalid("queue_final_line_feed", """{"kind": "a", "queue": "q\n"}""", "queue"),
        Invalid("queue_too_long", $$"""{"kind": "a", "queue": "{{new string('q', 129)}}"}""", "queue"),
        Invalid("priority_above_smallint", """{"kind": "a", "priority": 32768}""", "priority"),
        Invalid("priority_below_smallint", """{"kind": "a", "priority": -32769}""", "priority"),
        Invalid("max_attempts_zero", """{"kind": "a", "max_attempts": 0}""", "max_attempts"),
        Invalid("max_attempts_too_many", """{"kind": "a", "max_attempts": 1001}""", "max_attempts"),
        Invalid("timeout_zero", """{"kind": "a", "timeout_seconds": 0}""", "timeout_seconds"),
        Invalid("timeout_over_a_day", """{"kind": "a", "timeout_seconds": 86401}""", "timeout_seconds"),
        Invalid("delay_negative", """{"kind": "a", "delay_seconds": -1}""", "delay_seconds"),
        Invalid("delay_over_ten_years", """{"kind": "a", "delay_seconds": 400000000}""", "delay_seconds"),
        Invalid("run_at_without_offset", """{"kind": "a", "run_at": "2026-12-04T10:00:00"}""", "run_at"),
        Invalid("run_at_date_only", """{"kind": "a", "run_at": "2026-12-04"}""", "run_at"),
        Invalid("run_at_with_delay", """{"kind": "a", "run_at": "2026-12-04T10:00:00Z", "delay_seconds": 5}""", "run_at"),
        Invalid("concurrency_limit_zero", """{"kind": "a", "concurrency": {"key": "k", "limit": 0}}""", "concurrency.limit"),
        Invalid("concurrency_key_empty", """{"kind": "a", "concurrency": {"key": "", "limit": 1}}""", "concurrency.key"),
        Malformed("concurrency_unknown_field", """{"kind": "a", "concurrency": {"key": "k", "limit": 1, "max": 2}}""", "concurrency.max"),
        Invalid("rate_limit_period_zero", """{"kind": "a", "rate_limit": {"key": "k", "limit": 1, "period_seconds": 0}}""",
            "rate_limit.period_seconds"),
        Invalid("rate_limit_period_over_a_day", """{"kind": "a", "rate_limit": {"key": "k", "limit": 1, "period_seconds": 86401}}""",
            "rate_limit.period_seconds"),
        Invalid("rate_limit_key_nul", """{"kind": "a", "rate_limit": {"key": "a\u0000", "limit": 1, "period_seconds": 1}}""",
            "rate_limit.key"),
        new("batch_concurrency_limit", "POST", "/v1/jobs/batch",
            """{"jobs": [{"kind": "a"}, {"kind": "b", "concurrency": {"key": "k", "limit": -1}}]}""", Json, 400,
            ProblemTypes.ValidationFailed, "jobs[1].concurrency.limit"),
        Invalid("tags_null_item", """{"kind": "a", "tags": ["x", null]}""", "tags[1]"),
        Invalid("tags_empty_item", """{"kind": "a", "tags": [""]}""", "tags[0]"),
        Invalid("tags_nul", """{"kind": "a", "tags": ["a\u0000"]}""", "tags[0]"),
        Invalid("tags_too_many", """{"kind": "a", "tags": [""" + string.Join(",", Enumerable.Range(0, 33).Select(i => $"\"t{i}\"")) + "]}", "tags"),
        Invalid("args_nul_in_string", """{"kind": "a", "args": {"a": {"b": [0, 1, "x\u0000"]}}}""", "args.a.b[2]"),
        Invalid("args_nul_in_name", """{"kind": "a", "args": {"a\u0000b": 1}}""", "args.a\\u0000b"),
        Invalid("args_nul_as_root", """{"kind": "a", "args": "\u0000"}""", "args"),
        Invalid("args_lone_surrogate", """{"kind": "a", "args": ["\udc00"]}""", "args[0]"),
        Invalid("args_number_overflows_numeric", """{"kind": "a", "args": {"n": 1e-20000}}""", "args.n"),
        Invalid("args_too_large", $$"""{"kind": "a", "args": "{{new string('x', 300 * 1024)}}"}""", "args"),
        new("body_too_large", "POST", "/v1/jobs/batch", "{\"jobs\": [\"" + new string('x', 9 * 1024 * 1024) + "\"]}", Json,
            413, ProblemTypes.PayloadTooLarge, null),
        new("text_plain", "POST", "/v1/jobs", """{"kind": "a"}""", "text/plain", 415, ProblemTypes.UnsupportedMediaType, null),
        new("no_content_type", "POST", "/v1/jobs", """{"kind": "a"}""", null, 415, ProblemTypes.UnsupportedMediaType, null),
        new("unknown_id", "GET", "/v1/jobs/9223372036854775807", null, null, 404, ProblemTypes.NotFound, null),
        Query("id_not_a_number", "/v1/jobs/abc", "id"),
        Query("list_queue_nul", "/v1/jobs?queue=a%00b", "queue"),
        Query("list_kind_nul", "/v1/jobs?kind=%00", "kind"),
        Query("list_tag_nul", "/v1/jobs?tag=%00", "tag"),
        Query("id_beyond_int64", "/v1/jobs/9223372036854775808", "id"),
        Query("cancel_id_not_a_number", "/v1/jobs/abc/cancel", "id") with { Method = "POST" },
        new("unknown_route", "GET", "/v1/nothing", null, null, 404, ProblemTypes.NotFound, null),
        new("wrong_method", "DELETE", "/v1/jobs", null, null, 405, ProblemTypes.MethodNotAllowed, null),
        Query("bad_page_token", "/v1/jobs?page_token=not-a-token", "page_token"),
        Query("forged_page_token", "/v1/jobs?page_token=" + Convert.ToBase64String("v1:-5"u8.ToArray()), "page_token"),
        Query("bad_state", "/v1/jobs?state=sleeping", "state"),
        Query("page_size_zero", "/v1/jobs?page_size=0", "page_size"),
        Query("page_size_above_max", "/v1/jobs?page_size=501", "page_size"),
        Query("page_size_not_a_number", "/v1/jobs?page_size=ten", "page_size"),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_request_gets_problem(BadRequest request)
    {
        var response = await api.SendAsync(new HttpMethod(request.Method), request.Url, request.Body, request.ContentType);

        Assert.True(request.Status == response.Status, $"{request.Name}: expected {request.Status}, got {response.Status}: {response.Body}");
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(request.Type, response.Json.GetProperty("type").GetString());
        Assert.Equal(request.Status, response.Json.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(response.Json.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(response.Json.GetProperty("detail").GetString()));
        if (request.Field is not null)
        {
            Assert.True(response.ErrorFields.Contains(request.Field),
                $"{request.Name}: expected errors to name '{request.Field}', got [{string.Join(", ", response.ErrorFields)}]: {response.Body}");
        }
    }

    [Fact]
    public async Task Problem_does_not_echo_args()
    {
        const string Secret = "s3cr3t-value-in-args";
        var response = await api.PostJsonAsync("/v1/jobs", $$$"""{"kind": "a", "args": {"token": "{{{Secret}}}", "bad": "\u0000"}}""");

        Assert.Equal(400, response.Status);
        Assert.DoesNotContain(Secret, response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_method_lists_allowed_methods()
    {
        var response = await api.SendAsync(HttpMethod.Delete, "/v1/jobs/1");

        Assert.Equal(405, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
    }
}
