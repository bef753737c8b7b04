using JobQueue.Contracts;
using JobQueue.Engine.Schedules;

namespace JobQueue.Tests.Schedules;

/// <summary>The slot planner on its own: daylight saving in Europe/Berlin, missed policies, seconds.</summary>
public sealed class ScheduleSlotsTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static DateTimeOffset Utc(string text) => DateTimeOffset.Parse(text + "Z", System.Globalization.CultureInfo.InvariantCulture);

    private static IReadOnlyList<DateTimeOffset> SlotsBetween(string cron, TimeZoneInfo zone, DateTimeOffset from, DateTimeOffset to)
    {
        var expression = ScheduleRules.ParseCron(cron, out var error) ?? throw new InvalidOperationException(error);
        var decision = ScheduleSlots.Plan(expression, zone, from, to, TimeSpan.FromDays(30), MissedPolicy.Skip, 1);
        return decision.Slots;
    }

    [Fact]
    public void Spring_forward_moves_daily_slot_to_after_gap()
    {
        // 29 March 2026: Berlin jumps from 02:00 CET to 03:00 CEST, so 02:30 does not exist that day.
        var slots = SlotsBetween("30 2 * * *", Berlin, Utc("2026-03-28T00:00:00"), Utc("2026-03-30T23:00:00"));

        Assert.Equal(
            [Utc("2026-03-28T01:30:00"), Utc("2026-03-29T01:00:00"), Utc("2026-03-30T00:30:00")],
            slots);
    }

    [Fact]
    public void Spring_forward_interval_slots_in_gap_run_once_after_it()
    {
        var slots = SlotsBetween("*/30 * * * *", Berlin, Utc("2026-03-29T00:00:00"), Utc("2026-03-29T01:30:00"));

        // 01:00 and 01:30 CET, then 02:00 and 02:30 fall in the gap and collapse into 03:00 CEST
        // (01:00 UTC), then 03:30 CEST.
        Assert.Equal(
            [Utc("2026-03-29T00:00:00"), Utc("2026-03-29T00:30:00"), Utc("2026-03-29T01:00:00"), Utc("2026-03-29T01:30:00")],
            slots);
    }

    [Fact]
    public void Fall_back_runs_daily_slot_once()
    {
        // 25 October 2026: Berlin goes from 03:00 CEST back to 02:00 CET, so 02:30 happens twice
        // (00:30 and 01:30 UTC). A daily expression runs at the first of them only.
        var slots = SlotsBetween("30 2 * * *", Berlin, Utc("2026-10-24T00:00:00"), Utc("2026-10-26T23:00:00"));

        Assert.Equal(
            [Utc("2026-10-24T00:30:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-26T01:30:00")],
            slots);
    }

    [Fact]
    public void Fall_back_runs_interval_slots_in_both_hours()
    {
        var slots = SlotsBetween("*/30 * * * *", Berlin, Utc("2026-10-25T00:00:00"), Utc("2026-10-25T01:59:00"));

        // 02:00 and 02:30 CEST, then 02:00 and 02:30 CET again: four slots an hour apart in UTC order.
        Assert.Equal(
            [Utc("2026-10-25T00:00:00"), Utc("2026-10-25T00:30:00"), Utc("2026-10-25T01:00:00"), Utc("2026-10-25T01:30:00")],
            slots);
    }

    [Fact]
    public void Six_fields_give_every_second()
    {
        var expression = ScheduleRules.ParseCron("* * * * * *", out _)!;
        var from = Utc("2026-05-01T10:00:00");

        var decision = ScheduleSlots.Plan(expression, TimeZoneInfo.Utc, from, from.AddSeconds(2.5),
            TimeSpan.FromSeconds(30), MissedPolicy.Skip, 1);

        Assert.Equal([from, from.AddSeconds(1), from.AddSeconds(2)], decision.Slots);
        Assert.Equal(from.AddSeconds(3), decision.NextRunAt);
        Assert.Null(decision.FirstMissed);
    }

    public static TheoryData<MissedPolicy, int, string[]> MissedCases() => new()
    {
        { MissedPolicy.Skip, 1, ["12:00"] },
        { MissedPolicy.Once, 1, ["10:00", "12:00"] },
        { MissedPolicy.CatchUp, 3, ["11:57", "11:58", "11:59", "12:00"] },
        { MissedPolicy.CatchUp, 1000, [.. Enumerable.Range(0, 121).Select(m => TimeOnly.Parse("10:00", System.Globalization.CultureInfo.InvariantCulture).AddMinutes(m).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture))] },
    };

    [Theory]
    [MemberData(nameof(MissedCases))]
    public void Missed_policy_decides_late_slots(MissedPolicy policy, int limit, string[] expected)
    {
        // Every minute; the scheduler last ran before 10:00 and comes back at 12:00:10. With
        // missed after 30 s, 10:00 to 11:59 are missed and 12:00 is on time.
        var expression = ScheduleRules.ParseCron("* * * * *", out _)!;
        var now = Utc("2026-05-01T12:00:10");

        var decision = ScheduleSlots.Plan(expression, TimeZoneInfo.Utc, Utc("2026-05-01T10:00:00"), now,
            TimeSpan.FromSeconds(30), policy, limit);

        Assert.Equal(expected, decision.Slots.Select(slot => slot.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(Utc("2026-05-01T10:00:00"), decision.FirstMissed);
        Assert.Equal(Utc("2026-05-01T12:01:00"), decision.NextRunAt);
    }

    [Theory]
    [InlineData("", "cron is required")]
    [InlineData("* * * *", "it has 4")]
    [InlineData("* * * * * * *", "it has 7")]
    [InlineData("61 * * * *", "not a valid cron expression")]
    [InlineData("0 0 30 2 *", "never matches")]
    [InlineData("H * * * *", "H")]
    [InlineData("0 22-2 * * *", "hour range 22-2 starts after it ends. Write it as two ranges that do not wrap, such as 22-23,0-2.")]
    [InlineData("0 0 * * FRI-MON", "day of week range FRI-MON starts after it ends. Write it as two ranges that do not wrap, such as FRI-SAT,SUN-MON.")]
    [InlineData("0 0 * * 5-1", "such as 5-6,0-1.")]
    [InlineData("0 0 1 NOV-FEB *", "such as NOV-DEC,JAN-FEB.")]
    [InlineData("50-10/5 * * * * *", "second range 50-10")]
    [InlineData("0,30-5 0 * * *", "minute range 30-5")]
    public void Invalid_cron_gets_message(string cron, string expected)
    {
        Assert.Null(ScheduleRules.ParseCron(cron, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0 3 * * *")]
    [InlineData("*/10 * * * * *")]
    [InlineData("0 9 * * MON-FRI")]
    [InlineData("0 9 * * 1-7")]
    [InlineData("0 22-23,0-2 * * *")]
    [InlineData("0 5-5 * * *")]
    [InlineData("0 0 1 JAN-MAR *")]
    [InlineData("0 0 L * *")]
    [InlineData("@daily")]
    [InlineData("@hourly")]
    [InlineData("  0 3 * * *  ")]
    public void Valid_cron_parses(string cron)
    {
        Assert.NotNull(ScheduleRules.ParseCron(cron, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData("Europe/Berlin", true)]
    [InlineData("America/New_York", true)]
    [InlineData("UTC", true)]
    [InlineData("Mars/Olympus", false)]
    [InlineData("W. Europe Standard Time", false)]
    [InlineData("../../etc/passwd", false)]
    [InlineData("", false)]
    public void Time_zone_must_be_iana(string id, bool valid)
    {
        var zone = ScheduleRules.FindTimeZone(id, out var error);

        Assert.Equal(valid, zone is not null);
        Assert.Equal(valid, error is null);
    }
}
