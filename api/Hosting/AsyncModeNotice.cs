namespace JobQueue.Api.Hosting;

/// <summary>Logs at start-up that this API process also runs a worker.</summary>
internal sealed class AsyncModeNotice(ILogger<AsyncModeNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ApiLog.RunningWorkerInProcess(logger);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
