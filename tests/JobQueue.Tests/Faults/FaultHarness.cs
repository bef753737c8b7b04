using System.Diagnostics;
using System.Globalization;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Npgsql;
using Xunit.Abstractions;

namespace JobQueue.Tests.Faults;

/// <summary>
/// The moving parts of one fault test: a probe receiver, the published worker processes the test
/// starts, a queue of the test's own and the database the workers use. It enqueues probe jobs,
/// waits on bounded conditions, checks each round with <see cref="RoundChecks"/> and prints the
/// figures. Disposing stops every worker it started, resuming stopped ones first.
/// </summary>
internal sealed class FaultHarness : IAsyncDisposable
{
    /// <summary>Attempt budget of every probe job: high enough that no fault in these tests exhausts it.</summary>
    public const int MaxAttempts = 25;

    public const string ProbeKind = "probe";

    /// <summary>Slots of each worker's pool for the test's queue.</summary>
    public const int SlotsPerWorker = 4;

    /// <summary>Lease of every test worker. Probe jobs stay well below it, so a frozen worker's delivery ends before its lease.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    /// <summary>The bound on waiting for a round's jobs to reach a final state.</summary>
    public static readonly TimeSpan FinalTimeout = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Worker log events that record a failed database call: an outcome write retried (3006) or
    /// given up (3007), a failed claim (3104), lease renewal (3201) or maintenance step (3307), and
    /// a lost notification connection (1102). Counted to show that a database fault reached the workers.
    /// </summary>
    public static readonly int[] DatabaseErrorEvents = [3006, 3007, 3104, 3201, 3307, 1102];

    private const string RoundsVariable = "JOBQUEUE_FAULT_ROUNDS";
    private const int DefaultRounds = 2;
    private const int MaxRounds = 1000;
    private static readonly TimeSpan PollDelay = TimeSpan.FromMilliseconds(20);

    private readonly string _connectionString;
    private readonly string _secret = WebhookSigner.CreateSecret();
    private readonly List<FaultWorker> _workers = [];
    private readonly List<RoundFigures> _figures = [];
    private readonly string _scenario;

    private FaultHarness(string scenario, string connectionString, NpgsqlDataSource dataSource,
        FaultProbeReceiver receiver, ITestOutputHelper output)
    {
        _scenario = scenario;
        _connectionString = connectionString;
        DataSource = dataSource;
        Jobs = new JobStore(dataSource);
        Receiver = receiver;
        Output = output;
    }

    /// <summary>Rounds per scenario: <c>JOBQUEUE_FAULT_ROUNDS</c>, default 2.</summary>
    public static int Rounds { get; } = ReadRounds();

    public string Queue { get; } = "f" + Guid.NewGuid().ToString("N")[..10];

    public NpgsqlDataSource DataSource { get; }

    public JobStore Jobs { get; }

    public FaultProbeReceiver Receiver { get; }

    public ITestOutputHelper Output { get; }

    /// <summary>Every worker started so far, including those that have exited.</summary>
    public IReadOnlyList<FaultWorker> Workers => _workers;

    public static async Task<FaultHarness> StartAsync(
        string scenario, string connectionString, NpgsqlDataSource dataSource, ITestOutputHelper output)
    {
        var receiver = await FaultProbeReceiver.StartAsync();
        return new FaultHarness(scenario, connectionString, dataSource, receiver, output);
    }

    /// <summary>
    /// Runs <paramref name="rounds"/> once per round and prints the totals. When a round throws,
    /// the workers' recent output is printed before the exception propagates.
    /// </summary>
    public async Task RunRoundsAsync(Func<int, Task> rounds)
    {
        Output.WriteLine($"{_scenario}: {Rounds} rounds, queue {Queue}, lease {LeaseDuration.TotalSeconds:0.#} s");
        try
        {
            for (var round = 1; round <= Rounds; round++)
            {
                await rounds(round);
            }
        }
        catch
        {
            Output.WriteLine(Diagnostics());
            throw;
        }

        Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{_scenario} totals: jobs {_figures.Sum(f => f.Jobs)}, deliveries {_figures.Sum(f => f.Deliveries)}, " +
            $"duplicates {_figures.Sum(f => f.Duplicates)}, max attempt {_figures.Max(f => f.MaxAttempt)}, " +
            $"rescued {_figures.Sum(f => f.Rescued)}, released {_figures.Sum(f => f.Released)}, " +
            $"elapsed {_figures.Sum(f => f.Elapsed.TotalSeconds):0.0} s"));
    }

    /// <summary>Starts a published worker that serves the test's queue and delivers probe jobs to the receiver.</summary>
    public FaultWorker StartWorker()
    {
        var name = "w" + (_workers.Count + 1).ToString(CultureInfo.InvariantCulture);
        var worker = FaultWorker.Start(name, new Dictionary<string, string?>
        {
            ["ConnectionStrings__JobQueue"] = _connectionString,
            ["Database__MigrateOnStartup"] = "false",
            ["Worker__Queues"] = $"{Queue}:{SlotsPerWorker}",
            ["Worker__LeaseDuration"] = LeaseDuration.ToString("c", CultureInfo.InvariantCulture),
            ["Worker__RescueInterval"] = "00:00:00.500",
            ["Worker__PollInterval"] = "00:00:00.200",
            ["Worker__SchedulerInterval"] = "00:00:00.100",
            ["Worker__RetryBaseDelay"] = "00:00:00.100",
            ["Worker__RetryMaxDelay"] = "00:00:01",
            ["Worker__ShutdownTimeout"] = "00:00:02",
            ["Webhooks__Routes__0__Kind"] = ProbeKind,
            ["Webhooks__Routes__0__Url"] = Receiver.UrlFor(name),
            ["Webhooks__Routes__0__Secret"] = _secret,
            ["Webhooks__AllowHttp"] = "true",
            ["Webhooks__AllowedNetworks__0"] = "127.0.0.0/8",
        });
        _workers.Add(worker);
        return worker;
    }

    /// <summary>Starts <paramref name="count"/> workers and waits until each has registered its process.</summary>
    public async Task<IReadOnlyList<FaultWorker>> StartWorkersAsync(int count)
    {
        var workers = Enumerable.Range(0, count).Select(_ => StartWorker()).ToList();
        await WaitUntilRegisteredAsync(workers);
        return workers;
    }

    /// <summary>
    /// Waits until each worker has a row in the process registry, which it writes once its pools
    /// run. Fails when one exits first or after 60 seconds.
    /// </summary>
    public async Task WaitUntilRegisteredAsync(IReadOnlyList<FaultWorker> workers)
    {
        var processes = new ProcessStore(DataSource);
        var deadline = Stopwatch.StartNew();
        var missing = workers.ToList();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var exited = missing.FirstOrDefault(w => w.HasExited);
            if (exited is not null)
            {
                throw new InvalidOperationException($"Worker {exited.Name} exited during start-up:\n{exited.Output}");
            }

            var live = await processes.ListLiveAsync(TimeSpan.FromMinutes(5), CancellationToken.None);
            missing.RemoveAll(w => live.Any(p => p.Pid == w.Pid));
            if (missing.Count == 0)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException(
            $"Workers {string.Join(", ", missing.Select(w => w.Name))} did not register within 60 s.\n{Diagnostics()}");
    }

    /// <summary>Enqueues <paramref name="count"/> probe jobs sleeping between the two bounds, in milliseconds.</summary>
    public async Task<IReadOnlyList<long>> EnqueueAsync(int count, int minMilliseconds, int maxMilliseconds)
    {
        var random = new Random();
        var jobs = Enumerable.Range(0, count)
            .Select(_ => new NewJob(Queue, ProbeKind,
                string.Create(CultureInfo.InvariantCulture, $$"""{"ms":{{random.Next(minMilliseconds, maxMilliseconds + 1)}}}"""),
                0, MaxAttempts, null, [], null, null))
            .ToList();
        var inserted = await Jobs.InsertManyAsync(jobs, CancellationToken.None);
        return inserted.Select(j => j.Id).ToList();
    }

    /// <summary>Waits until a live worker has at least <paramref name="minimum"/> deliveries in flight and returns the busiest.</summary>
    public async Task<FaultWorker> WaitForBusyWorkerAsync(int minimum, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < timeout)
        {
            var busiest = _workers.Where(w => !w.HasExited)
                .Select(w => (Worker: w, InFlight: Receiver.InFlight(w.Name).Count))
                .MaxBy(w => w.InFlight);
            if (busiest.Worker is not null && busiest.InFlight >= minimum)
            {
                return busiest.Worker;
            }

            await Task.Delay(PollDelay);
        }

        throw new TimeoutException(
            $"No worker had {minimum} deliveries in flight within {timeout.TotalSeconds} s.\n{Diagnostics()}");
    }

    /// <summary>Waits until <paramref name="worker"/> has at least <paramref name="minimum"/> deliveries in flight.</summary>
    public async Task WaitForInFlightAsync(FaultWorker worker, int minimum, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (Receiver.InFlight(worker.Name).Count < minimum)
        {
            if (waited.Elapsed >= timeout)
            {
                throw new TimeoutException(
                    $"Worker {worker.Name} did not have {minimum} deliveries in flight within {timeout.TotalSeconds} s.\n{Diagnostics()}");
            }

            await Task.Delay(PollDelay);
        }
    }

    /// <summary>Waits until at least <paramref name="minimum"/> deliveries are in flight across all workers.</summary>
    public async Task WaitForTotalInFlightAsync(int minimum, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (Receiver.InFlightCount < minimum)
        {
            if (waited.Elapsed >= timeout)
            {
                throw new TimeoutException(
                    $"Fewer than {minimum} deliveries were in flight within {timeout.TotalSeconds} s.\n{Diagnostics()}");
            }

            await Task.Delay(PollDelay);
        }
    }

    /// <summary>
    /// Polls the jobs until all are final or <paramref name="timeout"/> passes, and returns the rows
    /// last read. It does not fail on a job that is not final, because the round checks report it
    /// with its evidence. A failed read (the server is restarting) is retried at the next poll.
    /// </summary>
    public async Task<IReadOnlyDictionary<long, Job?>> WaitForFinalAsync(IReadOnlyList<long> ids, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        IReadOnlyDictionary<long, Job?> rows = ids.ToDictionary(id => id, _ => (Job?)null);
        while (true)
        {
            try
            {
                rows = await ReadJobsAsync(ids);
                if (rows.Values.All(job => job is not null && JobStates.IsFinal(job.State)))
                {
                    return rows;
                }
            }
            catch (NpgsqlException)
            {
                DataSource.Clear();
            }

            if (waited.Elapsed >= timeout)
            {
                return rows;
            }

            await Task.Delay(100);
        }
    }

    public async Task<IReadOnlyDictionary<long, Job?>> ReadJobsAsync(IReadOnlyList<long> ids)
    {
        var rows = new Dictionary<long, Job?>();
        foreach (var id in ids)
        {
            rows[id] = await Jobs.GetAsync(id, CancellationToken.None);
        }

        return rows;
    }

    /// <summary>
    /// Waits for the round's jobs to be final, checks the invariants of <see cref="RoundChecks"/>,
    /// and prints and returns the round's figures with the rows and deliveries checked.
    /// </summary>
    public async Task<RoundResult> FinishRoundAsync(int round, IReadOnlyList<long> ids, string fault, Stopwatch roundClock)
    {
        var rows = await WaitForFinalAsync(ids, FinalTimeout);
        var elapsed = roundClock.Elapsed;
        var roundIds = ids.ToHashSet();
        var deliveries = Receiver.Deliveries.Where(d => roundIds.Contains(d.JobId)).ToList();
        var figures = RoundChecks.Check(round, fault, ids, rows, deliveries, elapsed);
        _figures.Add(figures);
        Output.WriteLine(figures.ToString());
        return new RoundResult(figures, rows, deliveries);
    }

    /// <summary>How many log entries with one of <paramref name="eventIds"/> all workers have written so far.</summary>
    public int CountWorkerLogEntries(params int[] eventIds) => _workers.Sum(w => w.CountLogEntries(eventIds));

    /// <summary>Fails when a worker that should still run has exited.</summary>
    public static void AssertRunning(IEnumerable<FaultWorker> workers)
    {
        foreach (var worker in workers)
        {
            Assert.False(worker.HasExited, $"Worker {worker.Name} (pid {worker.Pid}) exited, but no fault was aimed at it:\n{worker.Output}");
        }
    }

    /// <summary>The recent output of every worker, for a failing test's log.</summary>
    public string Diagnostics()
    {
        const int Lines = 60;
        return string.Join("\n", _workers.Select(w =>
        {
            var lines = w.Output.Split('\n');
            return $"--- worker {w.Name}, pid {w.Pid}, {(w.HasExited ? "exited" : "running")}, last {Lines} lines ---\n"
                + string.Join("\n", lines.TakeLast(Lines));
        }));
    }

    public async ValueTask DisposeAsync()
    {
        // Stopped in parallel: each may wait for its drain, which takes up to the shutdown timeout.
        await Task.WhenAll(_workers.Select(w => w.DisposeAsync().AsTask()));
        await Receiver.DisposeAsync();
    }

    private static int ReadRounds()
    {
        var text = Environment.GetEnvironmentVariable(RoundsVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return DefaultRounds;
        }

        if (!int.TryParse(text, CultureInfo.InvariantCulture, out var rounds) || rounds < 1 || rounds > MaxRounds)
        {
            throw new InvalidOperationException($"{RoundsVariable} must be a whole number from 1 to {MaxRounds}; it is '{text}'.");
        }

        return rounds;
    }
}

/// <summary>What one round left behind: its figures, the final rows and the receiver's deliveries of its jobs.</summary>
internal sealed record RoundResult(
    RoundFigures Figures, IReadOnlyDictionary<long, Job?> Jobs, IReadOnlyList<ProbeDelivery> Deliveries);
