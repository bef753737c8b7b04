using System.Diagnostics;

namespace JobQueue.Bench;

/// <summary>A published host (API or worker) run as a child process, with its output in a log file.</summary>
internal sealed class HostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _logPath;

    private HostProcess(Process process, string logPath)
    {
        _process = process;
        _logPath = logPath;
    }

    public int Pid => _process.Id;

    public static HostProcess Start(string dll, IEnumerable<string> arguments, IDictionary<string, string> environment, string logPath)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {dll}.");
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new HostProcess(process, logPath);
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Returns the exit code and the last lines of the log, for an error message about a host that stopped.</summary>
    public string Describe(int lines = 30)
    {
        var exited = _process.HasExited;
        if (exited)
        {
            // Waits for the output readers, so that the log contains the host's final output.
            _process.WaitForExit();
        }

        var code = exited ? $"exit code {_process.ExitCode}" : "still running";
        var tail = File.Exists(_logPath) ? File.ReadLines(_logPath).TakeLast(lines) : [];
        return $"{code}; the last lines of {_logPath}:{Environment.NewLine}{string.Join(Environment.NewLine, tail)}";
    }

    /// <summary>Resident set size from /proc, in MiB; NaN after the process exited.</summary>
    public double RssMiB()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
                    return Math.Round(kib / 1024.0, 1);
                }
            }
        }
        catch (IOException)
        {
        }

        return double.NaN;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM lets the host shut down gracefully; kill it if it takes longer than 15 s.
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }
}

/// <summary>Starts this service's published hosts against the benchmark database.</summary>
internal sealed class ServiceHosts(BenchOptions options, Database database)
{
    private readonly string _logDir = Path.GetFullPath(options.Text("log-dir", "artifacts/bench/logs"));

    public Uri ApiUrl => new($"http://127.0.0.1:{options.ApiPort}");

    private Dictionary<string, string> BaseEnvironment(IDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__JobQueue"] = database.ConnectionString,
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        return environment;
    }

    public async Task MigrateAsync()
    {
        Directory.CreateDirectory(_logDir);
        var dll = Path.Combine(options.PublishDir, "worker", "JobQueue.Worker.dll");
        await using var migrate = HostProcess.Start(dll, ["migrate"], BaseEnvironment(null), Path.Combine(_logDir, "migrate.log"));
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (!migrate.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        if (!migrate.HasExited)
        {
            throw new TimeoutException("The worker's migrate command did not finish within 120 s.");
        }

        if (migrate.ExitCode != 0)
        {
            throw new InvalidOperationException($"The worker's migrate command failed: {migrate.Describe()}");
        }
    }

    public async Task<HostProcess> StartApiAsync(IDictionary<string, string>? extra = null)
    {
        Directory.CreateDirectory(_logDir);
        var dll = Path.Combine(options.PublishDir, "api", "JobQueue.Api.dll");
        var environment = BaseEnvironment(extra);
        environment["Database__MigrateOnStartup"] = "false";

        // The API listens on loopback only, so it runs without keys, like the peers, which have
        // no access control of their own; docs/benchmarks.md says so.
        environment["Api__Auth__Mode"] = "none";
        var api = HostProcess.Start(dll, ["--urls", ApiUrl.ToString()], environment, Path.Combine(_logDir, "api.log"));
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (api.HasExited)
            {
                throw new InvalidOperationException($"The API exited at start: {api.Describe()}");
            }

            try
            {
                using var response = await client.GetAsync(new Uri(ApiUrl, "/healthz/ready"));
                if (response.IsSuccessStatusCode)
                {
                    return api;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(200);
        }

        await api.DisposeAsync();
        throw new TimeoutException("The API did not become ready within 60 s.");
    }

    public HostProcess StartWorker(IDictionary<string, string>? extra = null)
    {
        Directory.CreateDirectory(_logDir);
        var dll = Path.Combine(options.PublishDir, "worker", "JobQueue.Worker.dll");
        var environment = BaseEnvironment(extra);
        environment["Database__MigrateOnStartup"] = "false";
        environment.TryAdd("Worker__Queues", options.WorkerQueues);
        return HostProcess.Start(dll, [], environment, Path.Combine(_logDir, "worker.log"));
    }
}
