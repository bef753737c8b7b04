using Microsoft.Extensions.Options;

namespace JobQueue.Api.Hosting;

/// <summary>Logs at start-up that this API process also runs a worker.</summary>
internal sealed class AsyncModeNotice(IOptions<ApiOptions> options, ILogger<AsyncModeNotice> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ApiLog.RunningWorkerInProcess(logger, options.Value.ExecutionMode);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
