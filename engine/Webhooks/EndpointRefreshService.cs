using JobQueue.Engine.Options;
using JobQueue.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Reloads <see cref="EndpointCatalog"/> from the database every
/// <see cref="WebhookOptions.EndpointRefreshInterval"/>, so endpoint changes over the API reach
/// every worker within one interval, without a restart.
/// </summary>
public sealed partial class EndpointRefreshService(
    EndpointCatalog catalog,
    WebhookEndpointStore store,
    IOptions<WebhookOptions> options,
    TimeProvider timeProvider,
    ILogger<EndpointRefreshService> logger) : BackgroundService
{
    private int _failures;

    /// <summary>Loads the endpoints once. Returns false when the database could not be read; the previous snapshot stays.</summary>
    public async Task<bool> RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var readStarted = catalog.Now();
            catalog.Load(await store.ListAsync(cancellationToken), readStarted);
            if (_failures > 0)
            {
                LogRecovered(_failures);
                _failures = 0;
            }

            return true;
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            // Logged on the first failure and then every 60th, so an outage does not flood the log.
            if (_failures++ % 60 == 0)
            {
                LogRefreshFailed(exception, _failures);
            }

            return false;
        }
    }

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // One load before the pools start, so jobs of endpoint kinds claimed at once find their endpoint.
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EndpointRefreshInterval, timeProvider);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RefreshAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(EventId = 3601, Level = LogLevel.Warning,
        Message = "Reloading webhook endpoints failed ({Failures} times in a row); deliveries use the endpoints loaded before")]
    private partial void LogRefreshFailed(Exception exception, int failures);

    [LoggerMessage(EventId = 3602, Level = LogLevel.Information,
        Message = "Reloading webhook endpoints works again after {Failures} failures")]
    private partial void LogRecovered(int failures);
}
