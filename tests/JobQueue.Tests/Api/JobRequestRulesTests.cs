using System.Text.Json;
using JobQueue.Api;
using JobQueue.Api.Jobs;
using JobQueue.Contracts;
using Microsoft.Extensions.Options;

namespace JobQueue.Tests.Api;

/// <summary>
/// The shortcut that batches take for ordinary jobs must never accept a job that the rules
/// reject. Jobs are drawn from values on both sides of every limit.
/// </summary>
public sealed class JobRequestRulesTests
{
    private const int MaxArgsBytes = 64;

    private static readonly JobRequestRules Rules = new(
        Options.Create(new ApiOptions { MaxArgsBytes = MaxArgsBytes }), () => JobUrlPolicy.Default);

    private static readonly string[] Kinds =
    [
        "a", "send-email", "", "   ", new('k', JobRequestRules.MaxKindLength), new('k', JobRequestRules.MaxKindLength + 1),
        "bad\u0001kind", "lone\ud800", "pair\ud83d\ude00", CreateBatchRequest.CallbackUrlKind,
    ];

    private static readonly string?[] Queues =
        [null, "q", "", "bad queue", "a.b_c-D9", "ü", new('q', JobRequestRules.MaxQueueLength), new('q', JobRequestRules.MaxQueueLength + 1)];

    private static readonly int?[] Priorities = [null, 0, short.MinValue, short.MaxValue, short.MinValue - 1, short.MaxValue + 1];

    private static readonly int?[] MaxAttempts = [null, 0, 1, ApiOptions.MaxAttemptsLimit, ApiOptions.MaxAttemptsLimit + 1, -5];

    private static readonly double?[] Timeouts = [null, 0, -1, 0.5, JobRequestRules.MaxTimeoutSeconds, JobRequestRules.MaxTimeoutSeconds + 0.1];

    private static readonly double?[] Delays = [null, -0.1, 0, 30, JobRequestRules.MaxDelaySeconds, JobRequestRules.MaxDelaySeconds + 1];

    private static readonly DateTimeOffset?[] Times = [null, DateTimeOffset.UnixEpoch.AddYears(60), DateTimeOffset.UnixEpoch.AddYears(59)];

    private static readonly string?[]?[] TagLists =
    [
        null, [], ["a"], [""], [null], ["a\0b"], ["lone\udc00"], [new string('t', JobRequestRules.MaxTagLength)],
        [new string('t', JobRequestRules.MaxTagLength + 1)], Enumerable.Repeat("t", JobRequestRules.MaxTags).ToArray<string?>(),
        Enumerable.Repeat("t", JobRequestRules.MaxTags + 1).ToArray<string?>(),
    ];

    private static readonly string?[] ArgsTexts =
    [
        null, "{}", """{"n": 1}""", "[1, 2, 3]", "\"text\"", """{"s": "x\u0000"}""", """{"\u0000": 1}""", """{"s": "\ud800"}""",
        """{"n": 1e5000}""", $$"""{"s": "{{new string('x', MaxArgsBytes - 8)}}"}""", $$"""{"s": "{{new string('x', MaxArgsBytes)}}"}""",
        """{"s":   "spaces are not counted"}""", "\"é\"",
    ];

    [Fact]
    public void Plain_pass_implies_rules_pass()
    {
        var random = new Random(20261205);
        var plain = 0;
        var rejected = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var job = RandomJob(random);
            var valid = Rules.Validate(job).IsValid;
            if (Rules.PassesPlainly(job))
            {
                plain++;
                Assert.True(valid, $"Passed plainly but the rules reject it: {JsonSerializer.Serialize(job)}");
            }

            if (!valid)
            {
                rejected++;
            }
        }

        // Both kinds of job occur, so the loop checked plain passes and met rejected jobs.
        Assert.InRange(plain, 100, 19_900);
        Assert.InRange(rejected, 100, 19_900);
    }

    [Theory]
    [InlineData("""{"kind": "noop"}""")]
    [InlineData("""{"kind": "noop", "args": {"n": 7}, "queue": "mail", "priority": 5, "max_attempts": 3}""")]
    [InlineData("""{"kind": "noop", "delay_seconds": 60, "timeout_seconds": 30, "tags": ["a", "b"]}""")]
    [InlineData("""{"kind": "noop", "run_at": "2030-01-01T00:00:00Z"}""")]
    public void Ordinary_jobs_pass_plainly(string json)
    {
        var job = JsonSerializer.Deserialize<EnqueueJobRequest>(json)!;

        Assert.True(Rules.PassesPlainly(job));
        Assert.True(Rules.Validate(job).IsValid);
    }

    [Theory]
    [InlineData("""{"kind": "noop", "concurrency": {"key": "k", "limit": 1}}""")]
    [InlineData("""{"kind": "noop", "unique": {"key": "k"}}""")]
    [InlineData("""{"kind": "noop", "webhook_url": "https://example.com/hook"}""")]
    public void Limits_and_urls_go_to_rules(string json)
    {
        var job = JsonSerializer.Deserialize<EnqueueJobRequest>(json)!;

        Assert.False(Rules.PassesPlainly(job));
    }

    private static EnqueueJobRequest RandomJob(Random random)
    {
        // Each field is ordinary more often than not, so that most jobs have at most a few bad fields.
        T Pick<T>(T[] values) => random.Next(3) == 0 ? values[random.Next(values.Length)] : values[0];
        var args = Pick(ArgsTexts);
        return new EnqueueJobRequest
        {
            Kind = Pick(Kinds),
            Queue = Pick(Queues),
            Priority = Pick(Priorities),
            MaxAttempts = Pick(MaxAttempts),
            TimeoutSeconds = Pick(Timeouts),
            DelaySeconds = Pick(Delays),
            RunAt = Pick(Times),
            DiscardAfter = Pick(Times),
            // A null tag is what a request with [null] deserializes to.
            Tags = Pick(TagLists)!,
            Args = args is null ? null : JsonDocument.Parse(args).RootElement.Clone(),
        };
    }
}
