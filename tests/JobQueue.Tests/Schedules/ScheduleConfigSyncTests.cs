using JobQueue.Contracts;
using JobQueue.Engine;
using JobQueue.Engine.Schedules;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace JobQueue.Tests.Schedules;

/// <summary>Schedules from the <c>Schedules</c> configuration section are written to the database at start-up.</summary>
public sealed class ScheduleConfigSyncTests : IAsyncLifetime
{
    private readonly TestDatabase _database = new();
    private ScheduleStore _store = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _store = new ScheduleStore(_database.DataSource);
    }

    public Task DisposeAsync() => _database.DisposeAsync();

    private async Task StartAndStopAsync(Dictionary<string, string?> schedules)
    {
        schedules["Cron:Enabled"] = "false";
        using var host = await WorkerHost.StartAsync(_database, schedules, services => services.AddJobQueueScheduleSync());
        await host.StopAsync();
    }

    private async Task<ScheduleRow> GetAsync(string name) =>
        await _store.GetAsync(name, CancellationToken.None) ?? throw new InvalidOperationException($"No schedule {name}.");

    [Fact]
    public async Task Start_writes_configured_schedules()
    {
        await StartAndStopAsync(new()
        {
            ["Schedules:nightly:Cron"] = "0 3 * * *",
            ["Schedules:nightly:TimeZone"] = "Europe/Berlin",
            ["Schedules:nightly:Missed"] = "catch_up",
            ["Schedules:nightly:CatchUpLimit"] = "5",
            ["Schedules:nightly:Overlap"] = "skip",
            ["Schedules:nightly:Job:Kind"] = "report.build",
            ["Schedules:nightly:Job:Queue"] = "reports",
            ["Schedules:nightly:Job:Args:region"] = "eu",
            ["Schedules:nightly:Job:Args:limits:rows"] = "100",
            ["Schedules:nightly:Job:Tags:0"] = "nightly",
            ["Schedules:nightly:Job:MaxAttempts"] = "3",
            ["Schedules:pulse:Cron"] = "*/5 * * * * *",
            ["Schedules:pulse:Job:Kind"] = "noop",
            ["Schedules:pulse:Job:ArgsJson"] = """{"n": [1, 2]}""",
        });

        var nightly = ScheduleMapping.ToContract(await GetAsync("nightly"));
        Assert.Equal(ScheduleSource.Config, nightly.Source);
        Assert.Equal("0 3 * * *", nightly.Cron);
        Assert.Equal("Europe/Berlin", nightly.TimeZone);
        Assert.Equal(MissedPolicy.CatchUp, nightly.Missed);
        Assert.Equal(5, nightly.CatchUpLimit);
        Assert.Equal(OverlapPolicy.Skip, nightly.Overlap);
        Assert.Equal("reports", nightly.Job.Queue);
        Assert.Equal(3, nightly.Job.MaxAttempts);
        Assert.Equal(["nightly"], nightly.Job.Tags);
        Assert.Equal("eu", nightly.Job.Args!.Value.GetProperty("region").GetString());
        Assert.Equal("100", nightly.Job.Args!.Value.GetProperty("limits").GetProperty("rows").GetString());
        Assert.NotNull(nightly.NextRunAt);

        var pulse = ScheduleMapping.ToContract(await GetAsync("pulse"));
        Assert.Equal(2, pulse.Job.Args!.Value.GetProperty("n")[1].GetInt32());
        Assert.Equal("UTC", pulse.TimeZone);
        Assert.Equal(MissedPolicy.Skip, pulse.Missed);
    }

    [Fact]
    public async Task Restart_keeps_api_disable_until_entry_changes()
    {
        var config = new Dictionary<string, string?> { ["Schedules:report:Cron"] = "0 3 * * *", ["Schedules:report:Job:Kind"] = "noop" };
        await StartAndStopAsync(new(config));
        await _store.SetEnabledAsync("report", false, _ => null, CancellationToken.None);

        await StartAndStopAsync(new(config));
        var afterSameConfig = await GetAsync("report");
        config["Schedules:report:Cron"] = "0 4 * * *";
        await StartAndStopAsync(new(config));
        var afterChange = await GetAsync("report");

        Assert.False(afterSameConfig.Enabled);
        Assert.Equal("0 3 * * *", afterSameConfig.Cron);
        Assert.True(afterChange.Enabled);
        Assert.Equal("0 4 * * *", afterChange.Cron);
        Assert.Equal(4, afterChange.NextRunAt!.Value.UtcDateTime.Hour);
    }

    [Fact]
    public async Task Removed_entry_is_deleted_and_api_schedules_stay()
    {
        var definition = new PutScheduleRequest { Cron = "0 5 * * *", Job = new ScheduleJob { Kind = "noop" } };
        await _store.UpsertFromApiAsync(ScheduleMapping.ToRow("from-api", definition,
            ScheduleMapping.WithDefaults(definition.Job, 20), ScheduleSource.Api, DateTimeOffset.UtcNow), CancellationToken.None);
        await StartAndStopAsync(new() { ["Schedules:gone:Cron"] = "0 3 * * *", ["Schedules:gone:Job:Kind"] = "noop" });
        Assert.NotNull(await _store.GetAsync("gone", CancellationToken.None));

        await StartAndStopAsync(new() { ["Schedules:kept:Cron"] = "0 3 * * *", ["Schedules:kept:Job:Kind"] = "noop" });

        Assert.Null(await _store.GetAsync("gone", CancellationToken.None));
        Assert.NotNull(await _store.GetAsync("kept", CancellationToken.None));
        Assert.Equal("api", (await GetAsync("from-api")).Source);
    }

    [Fact]
    public async Task Host_without_section_changes_nothing()
    {
        await StartAndStopAsync(new() { ["Schedules:stays:Cron"] = "0 3 * * *", ["Schedules:stays:Job:Kind"] = "noop" });

        await StartAndStopAsync(new());

        Assert.Equal("config", (await GetAsync("stays")).Source);
    }

    [Fact]
    public async Task Config_entry_takes_over_api_schedule_of_same_name()
    {
        var definition = new PutScheduleRequest { Cron = "0 5 * * *", Job = new ScheduleJob { Kind = "noop" } };
        await _store.UpsertFromApiAsync(ScheduleMapping.ToRow("shared", definition,
            ScheduleMapping.WithDefaults(definition.Job, 20), ScheduleSource.Api, DateTimeOffset.UtcNow), CancellationToken.None);

        await StartAndStopAsync(new() { ["Schedules:shared:Cron"] = "0 6 * * *", ["Schedules:shared:Job:Kind"] = "noop" });

        var shared = await GetAsync("shared");
        Assert.Equal("config", shared.Source);
        Assert.Equal("0 6 * * *", shared.Cron);
    }

    [Fact]
    public async Task Invalid_entry_stops_start_naming_key()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Cron:Enabled"] = "false",
            ["Schedules:broken:Cron"] = "61 * * * *",
            ["Schedules:broken:TimeZone"] = "Mars/Olympus",
            ["Schedules:broken:Colour"] = "red",
            ["Schedules:broken:Missed"] = "sometimes",
            ["Schedules:broken:Job:Kind"] = "",
            ["Schedules:bad name:Cron"] = "* * * * *",
        };

        var failure = await Assert.ThrowsAsync<OptionsValidationException>(
            () => WorkerHost.StartAsync(_database, settings, services => services.AddJobQueueScheduleSync()));

        var failures = failure.Failures.ToList();
        Assert.Contains(failures, f => f.StartsWith("Schedules:broken:Cron:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Schedules:broken:TimeZone:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Schedules:broken:Colour:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Schedules:broken:Missed:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Schedules:broken:Job:", StringComparison.Ordinal) && f.Contains("job.kind", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Schedules:bad name:", StringComparison.Ordinal));
        Assert.Empty(await _store.ListAsync(CancellationToken.None));
    }
}
