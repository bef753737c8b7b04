using System.Text.Json;
using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Processes;

public sealed class ListProcessesEndpoint(ProcessStore processes, IConfiguration configuration)
    : EndpointWithoutRequest<ProcessList>
{
    // Workers refresh their row every Worker:HeartbeatInterval (10 s unless set); a row three
    // intervals old belongs to a process that is gone.
    private static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(10);

    public override void Configure()
    {
        Get("/v1/processes");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("listProcesses")
                .Produces<ProcessList>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "List worker processes";
            summary.Description =
                "Returns each worker process whose heartbeat arrived within three heartbeat intervals, with its " +
                "pools and the attempts it runs now.";
            summary.Responses[200] = "The live worker processes, oldest first.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var heartbeat = configuration.GetValue("Worker:HeartbeatInterval", DefaultHeartbeatInterval);
        var live = await processes.ListLiveAsync(heartbeat * 3, ct);
        var list = new ProcessList
        {
            Processes = live.Select(p => new WorkerProcessInfo
            {
                Id = p.Id,
                Host = p.Host,
                Pid = p.Pid,
                Queues = p.Queues,
                Pools = JsonSerializer.Deserialize<List<PoolInfo>>(p.PoolsJson) ?? [],
                Kinds = p.Kinds,
                StartedAt = p.StartedAt,
                HeartbeatAt = p.HeartbeatAt,
                Running = p.Running.Select(r => new RunningJobInfo
                {
                    Id = r.Id,
                    Queue = r.Queue,
                    Kind = r.Kind,
                    Attempt = r.Attempt,
                    AttemptedAt = r.AttemptedAt,
                }).ToList(),
            }).ToList(),
        };
        await Send.OkAsync(list, ct);
    }
}
