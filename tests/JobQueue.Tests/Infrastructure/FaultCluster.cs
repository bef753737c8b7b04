using System.Globalization;
using JobQueue.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobQueue.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of one test class's own on 127.0.0.1, for faults that hit the whole server
/// (a restart), which must never hit the shared test cluster. It is created with
/// <c>scripts/lib/postgres.sh</c> under a unique name, so concurrent test runs never share it. It
/// contains the migrated database <c>jobqueue</c> and is stopped and deleted afterwards.
/// </summary>
public sealed class FaultCluster : IAsyncLifetime
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(120);

    public string Name { get; } = "faults_" + Guid.NewGuid().ToString("N")[..8];

    public int Port { get; } = ServiceProcess.FreePort();

    public string DataDirectory { get; private set; } = "";

    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await RunScriptAsync("""jq_postgres_start "$1" "$2" fsync=off""", Name, Port.ToString(CultureInfo.InvariantCulture));
        DataDirectory = (await RunScriptAsync("""jq_postgres_datadir "$1" """, Name)).Trim();

        // jq_postgres_start creates the database 'jobqueue'.
        ConnectionString = $"Host=127.0.0.1;Port={Port};Username=postgres;Database=jobqueue";
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        await new Migrator(DataSource, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None);
    }

    /// <summary>
    /// Restarts the server with <c>pg_ctl restart</c> and waits until it accepts connections
    /// again. Returns how long the restart took. A fast shutdown ends every session and writes
    /// everything committed to disk first. With <paramref name="crash"/> the shutdown is
    /// immediate: the processes are killed, and the restart replays the WAL as after a crash, so
    /// a commit whose WAL record had not been written yet is lost.
    /// </summary>
    public async Task<TimeSpan> RestartAsync(bool crash = false)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        // pg_ctl restart reuses the options of the last start from postmaster.opts. Without -l the
        // new server would write to this process's pipes and keep them open.
        await RunScriptAsync(
            """jq_as_owner "$(jq_postgres_bindir)/pg_ctl" -D "$1" -l "$1/server.log" -m "$2" -w -t 60 restart""",
            DataDirectory, crash ? "immediate" : "fast");
        DataSource.Clear();
        return System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    /// <summary>Stops the server (fast shutdown, which ends every session) and drops pooled connections.</summary>
    public async Task StopServerAsync()
    {
        await RunScriptAsync("""jq_postgres_stop "$1" """, Name);
        DataSource.Clear();
    }

    /// <summary>Starts the stopped server again on the same port and waits until it accepts connections.</summary>
    public Task StartServerAsync() =>
        RunScriptAsync("""jq_postgres_start "$1" "$2" fsync=off""", Name, Port.ToString(CultureInfo.InvariantCulture));

    public async Task DisposeAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }

        await RunScriptAsync("""jq_postgres_stop "$1" """, Name);
        if (DataDirectory.Length > 0 && Path.GetFileName(DataDirectory) == Name && Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
    }

    private static async Task<string> RunScriptAsync(string command, params string[] arguments)
    {
        var (exitCode, standardOutput, allOutput) = await ServiceProcess.RunAsync(
            "bash", ["-c", "source scripts/lib/postgres.sh && " + command, "bash", .. arguments], ScriptTimeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"Cluster command '{command}' with arguments [{string.Join(", ", arguments)}] failed with exit code {exitCode}:\n{allOutput}");
        }

        return standardOutput;
    }
}
