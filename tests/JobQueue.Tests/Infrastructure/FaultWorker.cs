using System.Runtime.InteropServices;
using System.Text.Json;

namespace JobQueue.Tests.Infrastructure;

/// <summary>
/// A published worker host (<c>artifacts/publish/worker/JobQueue.Worker.dll</c>) run with
/// <c>dotnet</c> for fault tests, with the signals those tests send. It logs JSON lines, so a test
/// can find log entries by event id and job id. Disposing resumes a stopped process before it
/// stops it, because a stopped process cannot handle SIGTERM.
/// </summary>
public sealed class FaultWorker : IAsyncDisposable
{
    private const int SigKill = 9;
    private const int SigTerm = 15;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private readonly ServiceProcess _process;
    private bool _paused;

    private FaultWorker(string name, ServiceProcess process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>The worker's name in the probe receiver's paths.</summary>
    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => _process.Output;

    public static string PublishedPath { get; } =
        Path.Combine(RepositoryRoot.Path, "artifacts", "publish", "worker", "JobQueue.Worker.dll");

    /// <summary>Starts the published worker with <paramref name="environment"/> added to its environment.</summary>
    public static FaultWorker Start(string name, IDictionary<string, string?> environment)
    {
        if (!File.Exists(PublishedPath))
        {
            throw new InvalidOperationException(
                $"{PublishedPath} is missing. Run the tests with scripts/test, which publishes the worker first.");
        }

        var settings = new Dictionary<string, string?>(environment)
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__Console__FormatterName"] = "json",
            ["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ",

            // The working directory is the repository root, so the host's appsettings.json, which
            // quiets the per-request HttpClient lines, is not read.
            ["Logging__LogLevel__System.Net.Http.HttpClient"] = "Warning",
        };
        return new FaultWorker(name, ServiceProcess.Start("dotnet", [PublishedPath], settings));
    }

    /// <summary>Sends SIGKILL: the process ends at once, without storing outcomes or releasing leases.</summary>
    public void Kill() => Signal(SigKill);

    /// <summary>Sends SIGSTOP: the process freezes, with its connections left open.</summary>
    public void Pause()
    {
        _paused = true;
        Signal(SigStop);
    }

    /// <summary>Sends SIGCONT to a process that <see cref="Pause"/> stopped.</summary>
    public void Resume()
    {
        Signal(SigCont);
        _paused = false;
    }

    /// <summary>Sends SIGTERM without waiting: the host starts its graceful shutdown.</summary>
    public void Terminate() => Signal(SigTerm);

    /// <summary>Waits until the process has exited. Returns false when it still runs after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (!_process.HasExited && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        return _process.HasExited;
    }

    /// <summary>
    /// Log entries of this worker with one of <paramref name="eventIds"/>, as (event id, job id,
    /// attempt). Entries without <c>JobId</c> and <c>Attempt</c> placeholders are skipped.
    /// </summary>
    public IReadOnlyList<(int EventId, long JobId, int Attempt)> LogEntries(params int[] eventIds)
    {
        var entries = new List<(int, long, int)>();
        foreach (var (eventId, state) in ReadLogEntries(eventIds))
        {
            if (state.TryGetProperty("JobId", out var jobId) && state.TryGetProperty("Attempt", out var attempt))
            {
                entries.Add((eventId, ReadNumber<long>(jobId), ReadNumber<int>(attempt)));
            }
        }

        return entries;
    }

    /// <summary>How many log entries of this worker have one of <paramref name="eventIds"/>.</summary>
    public int CountLogEntries(params int[] eventIds) => ReadLogEntries(eventIds).Count();

    private IEnumerable<(int EventId, JsonElement State)> ReadLogEntries(int[] eventIds)
    {
        foreach (var line in Output.Split('\n'))
        {
            var trimmed = line.Trim();
            if (!trimmed.StartsWith('{'))
            {
                continue;
            }

            JsonElement root;
            try
            {
                using var entry = JsonDocument.Parse(trimmed);
                root = entry.RootElement.Clone();
            }
            catch (JsonException)
            {
                // A line of other output that happens to start with a brace.
                continue;
            }

            if (root.TryGetProperty("EventId", out var eventId) && eventIds.Contains(eventId.GetInt32())
                && root.TryGetProperty("State", out var state))
            {
                yield return (eventId.GetInt32(), state);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_paused && !_process.HasExited)
        {
            Resume();
        }

        await _process.DisposeAsync();
    }

    // The JSON console formatter writes structured values as strings in some versions and as
    // numbers in others.
    private static T ReadNumber<T>(JsonElement value)
        where T : IParsable<T> =>
        T.Parse(value.ValueKind == JsonValueKind.String ? value.GetString()! : value.GetRawText(),
            System.Globalization.CultureInfo.InvariantCulture);

    private void Signal(int signal)
    {
        if (!_process.HasExited && SendSignal(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException(
                $"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()} for worker {Name}.");
        }
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
