using System.Globalization;
using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace JobQueue.Tests.Schedules;

/// <summary>
/// The scheduler against PostgreSQL on a fake clock: daylight saving in Europe/Berlin, missed and
/// overlap policies, and the slot key that keeps a slot from being enqueued twice.
/// </summary>
public sealed class SchedulerTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private readonly FakeTimeProvider _clock = new();
    private ScheduleStore _store = null!;
    private Scheduler _scheduler = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _store = new ScheduleStore(_database.DataSource);
        _scheduler = new Scheduler(_store, Microsoft.Extensions.Options.Options.Create(new CronOptions()), _clock,
            NullLogger<Scheduler>.Instance);
    }

    public Task DisposeAsync() => _database.DisposeAsync();

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", CultureInfo.InvariantCulture);

    private async Task CreateAsync(string name, string cron, string zone = "UTC", MissedPolicy missed = MissedPolicy.Skip,
        int catchUpLimit = 10, OverlapPolicy overlap = OverlapPolicy.Allow)
    {
        var definition = new PutScheduleRequest
        {
            Cron = cron,
            TimeZone = zone,
            Missed = missed,
            CatchUpLimit = catchUpLimit,
            Overlap = overlap,
            Job = new ScheduleJob { Kind = "noop" },
        };
        var job = ScheduleMapping.WithDefaults(definition.Job, 20);
        var row = ScheduleMapping.ToRow(name, definition, job, ScheduleSource.Api, _clock.GetUtcNow());
        Assert.NotNull(await _store.UpsertFromApiAsync(row, CancellationToken.None));
    }

    // Moves the clock to just after the earliest next slot of all schedules and runs a pass
    // there, as the scheduler's own sleep would, until the next slot is past the end.
    private async Task RunThroughAsync(DateTimeOffset end)
    {
        for (var pass = 0; pass < 200; pass++)
        {
            var next = (await _store.ListAsync(CancellationToken.None)).Min(schedule => schedule.NextRunAt);
            if (next is null || next > end)
            {
                return;
            }

            _clock.SetUtcNow(next.Value.AddMilliseconds(300));
            await _scheduler.RunDueAsync(CancellationToken.None);
        }

        Assert.Fail("The schedule had more than 200 slots in the period.");
    }

    private async Task<IReadOnlyList<DateTimeOffset>> EnqueuedSlotsAsync(string name) =>
        (await _store.ListRunsAsync(name, CancellationToken.None)).Where(run => run.Outcome == "enqueued").Select(run => run.SlotAt).ToList();

    [Fact]
    public async Task Spring_forward_daily_slot_runs_at_three()
    {
        _clock.SetUtcNow(Utc("2026-03-27T12:00:00"));
        await CreateAsync("spring-daily", "30 2 * * *", "Europe/Berlin");

        await RunThroughAsync(Utc("2026-03-30T12:00:00"));

        // 28 March 02:30 CET; 29 March 02:30 does not exist, so 03:00 CEST; 30 March 02:30 CEST.
        Assert.Equal(
            [Utc("2026-03-28T01:30:00"), Utc("2026-03-29T01:00:00"), Utc("2026-03-30T00:30:00")],
            await EnqueuedSlotsAsync("spring-daily"));
    }

    [Fact]
    public async Task Fall_back_runs_daily_once_and_interval_twice()
    {
        _clock.SetUtcNow(Utc("2026-10-24T12:00:00"));
        await CreateAsync("fall-daily", "30 2 * * *", "Europe/Berlin");
        await CreateAsync("fall-interval", "*/30 2 * * *", "Europe/Berlin");

        await RunThroughAsync(Utc("2026-10-26T12:00:00"));

        // 02:30 happens at 00:30 UTC (CEST) and 01:30 UTC (CET) on 25 October.
        Assert.Equal(
            [Utc("2026-10-25T00:30:00"), Utc("2026-10-26T01:30:00")],
            await EnqueuedSlotsAsync("fall-daily"));
        Assert.Equal(
            [
                Utc("2026-10-25T00:00:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-25T01:00:00"), Utc("2026-10-25T01:30:00"),
                Utc("2026-10-26T01:00:00"), Utc("2026-10-26T01:30:00"),
            ],
            await EnqueuedSlotsAsync("fall-interval"));
    }

    [Fact]
    public async Task Each_enqueued_slot_has_one_tagged_job()
    {
        _clock.SetUtcNow(Utc("2026-05-01T10:00:00.500"));
        await CreateAsync("tagged", "*/10 * * * * *");

        await RunThroughAsync(Utc("2026-05-01T10:01:00"));

        var runs = await _store.ListRunsAsync("tagged", CancellationToken.None);
        Assert.Equal(6, runs.Count);
        Assert.All(runs, run => Assert.NotNull(run.JobId));
        Assert.Equal(6, runs.Select(run => run.JobId).Distinct().Count());
        var tagged = await _database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE tags @> ARRAY['schedule:tagged']");
        Assert.Equal(6, tagged);
        var schedule = (await _store.GetAsync("tagged", CancellationToken.None))!;
        Assert.Equal(runs[^1].JobId, schedule.LastJobId);
        Assert.Equal(runs[^1].SlotAt, schedule.LastRunAt);
        Assert.Equal(Utc("2026-05-01T10:01:10"), schedule.NextRunAt);
    }

    public static TheoryData<MissedPolicy, int, string[]> MissedCases() => new()
    {
        { MissedPolicy.Skip, 10, ["12:00"] },
        { MissedPolicy.Once, 10, ["10:01", "12:00"] },
        { MissedPolicy.CatchUp, 3, ["11:57", "11:58", "11:59", "12:00"] },
    };

    [Theory]
    [MemberData(nameof(MissedCases))]
    public async Task Downtime_applies_missed_policy(MissedPolicy policy, int limit, string[] expected)
    {
        var name = "missed-" + ScheduleMapping.WireName(policy).Replace('_', '-');
        _clock.SetUtcNow(Utc("2026-05-01T10:00:30"));
        await CreateAsync(name, "* * * * *", missed: policy, catchUpLimit: limit);

        // No pass ran for two hours, as when every worker was down.
        _clock.SetUtcNow(Utc("2026-05-01T12:00:10"));
        await _scheduler.RunDueAsync(CancellationToken.None);

        var slots = await EnqueuedSlotsAsync(name);
        Assert.Equal(expected, slots.Select(slot => slot.ToString("HH:mm", CultureInfo.InvariantCulture)));
        Assert.Equal(expected.Length,
            await _database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE tags @> ARRAY[$1]", "schedule:" + name));
        Assert.Equal(Utc("2026-05-01T12:01:00"), (await _store.GetAsync(name, CancellationToken.None))!.NextRunAt);
    }

    [Fact]
    public async Task Overlap_skip_waits_for_previous_job()
    {
        _clock.SetUtcNow(Utc("2026-05-01T10:00:30"));
        await CreateAsync("overlap-skip", "* * * * *", overlap: OverlapPolicy.Skip);

        _clock.SetUtcNow(Utc("2026-05-01T10:01:01"));
        await _scheduler.RunDueAsync(CancellationToken.None);
        _clock.SetUtcNow(Utc("2026-05-01T10:02:01"));
        await _scheduler.RunDueAsync(CancellationToken.None);
        var first = (await _store.ListRunsAsync("overlap-skip", CancellationToken.None))[0].JobId!.Value;
        await _database.ExecuteAsync(
            "UPDATE jobqueue.jobs SET state = 'completed', finished_at = now() WHERE id = $1", first);
        _clock.SetUtcNow(Utc("2026-05-01T10:03:01"));
        await _scheduler.RunDueAsync(CancellationToken.None);

        var runs = await _store.ListRunsAsync("overlap-skip", CancellationToken.None);
        Assert.Equal(["enqueued", "skipped_overlap", "enqueued"], runs.Select(run => run.Outcome));
        Assert.Null(runs[1].JobId);
        Assert.NotEqual(first, runs[2].JobId);
    }

    [Fact]
    public async Task Overlap_allow_enqueues_while_previous_runs()
    {
        _clock.SetUtcNow(Utc("2026-05-01T10:00:30"));
        await CreateAsync("overlap-allow", "* * * * *");

        _clock.SetUtcNow(Utc("2026-05-01T10:01:01"));
        await _scheduler.RunDueAsync(CancellationToken.None);
        _clock.SetUtcNow(Utc("2026-05-01T10:02:01"));
        await _scheduler.RunDueAsync(CancellationToken.None);

        var runs = await _store.ListRunsAsync("overlap-allow", CancellationToken.None);
        Assert.Equal(["enqueued", "enqueued"], runs.Select(run => run.Outcome));
    }

    [Fact]
    public async Task Catch_up_with_overlap_skip_enqueues_one()
    {
        _clock.SetUtcNow(Utc("2026-05-01T10:00:30"));
        await CreateAsync("catch-up-skip", "* * * * *", missed: MissedPolicy.CatchUp, catchUpLimit: 5, overlap: OverlapPolicy.Skip);

        _clock.SetUtcNow(Utc("2026-05-01T10:10:10"));
        await _scheduler.RunDueAsync(CancellationToken.None);

        var runs = await _store.ListRunsAsync("catch-up-skip", CancellationToken.None);
        Assert.Equal(6, runs.Count);
        Assert.Equal("enqueued", runs[0].Outcome);
        Assert.All(runs.Skip(1), run => Assert.Equal("skipped_overlap", run.Outcome));
    }

    [Fact]
    public async Task Handled_slot_is_never_enqueued_again()
    {
        _clock.SetUtcNow(Utc("2026-05-01T10:00:30"));
        await CreateAsync("slot-key", "* * * * *");
        _clock.SetUtcNow(Utc("2026-05-01T10:01:01"));
        await _scheduler.RunDueAsync(CancellationToken.None);

        // A worker whose clock lags, or a replaced schedule, can see a handled slot as due again.
        await _database.ExecuteAsync(
            "UPDATE jobqueue.schedules SET next_run_at = $1 WHERE name = 'slot-key'", Utc("2026-05-01T10:01:00"));
        var again = await _scheduler.AdvanceAsync("slot-key", Utc("2026-05-01T10:01:02"), CancellationToken.None);

        Assert.NotNull(again);
        Assert.Empty(again.Enqueued);
        Assert.Equal([Utc("2026-05-01T10:01:00")], again.AlreadyClaimed);
        Assert.Equal(1L, await _database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs"));
    }

    [Fact]
    public async Task Concurrent_passes_enqueue_slot_once()
    {
        _clock.SetUtcNow(Utc("2026-05-01T10:00:30"));
        await CreateAsync("concurrent", "* * * * *");
        var schedulers = Enumerable.Range(0, 4)
            .Select(_ => new Scheduler(new ScheduleStore(_database.DataSource),
                Microsoft.Extensions.Options.Options.Create(new CronOptions()), _clock, NullLogger<Scheduler>.Instance))
            .ToList();

        _clock.SetUtcNow(Utc("2026-05-01T10:01:01"));
        var passes = await Task.WhenAll(schedulers.Select(s => s.AdvanceAsync("concurrent", _clock.GetUtcNow(), CancellationToken.None)));

        Assert.Equal(1, passes.Count(pass => pass is not null && pass.Enqueued.Count == 1));
        Assert.Equal(1L, await _database.ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs"));
    }

    [Fact]
    public async Task Disabled_schedule_enqueues_nothing()
    {
        _clock.SetUtcNow(Utc("2026-05-01T10:00:30"));
        await CreateAsync("disabled", "* * * * *");
        await _store.SetEnabledAsync("disabled", false, _ => null, CancellationToken.None);

        _clock.SetUtcNow(Utc("2026-05-01T10:05:01"));
        await _scheduler.RunDueAsync(CancellationToken.None);

        Assert.Empty(await _store.ListRunsAsync("disabled", CancellationToken.None));
        Assert.Null((await _store.GetAsync("disabled", CancellationToken.None))!.NextRunAt);
    }
}
