using System.Net;
using JobQueue.Engine.Execution;
using JobQueue.Engine.Handlers;
using JobQueue.Engine.Options;
using JobQueue.Engine.Schedules;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace JobQueue.Engine;

public static class EngineServiceCollectionExtensions
{
    /// <summary>
    /// Registers the worker: pools that claim and run jobs, the listener, and the maintenance
    /// loops, with everything <see cref="AddJobQueueExecution"/> registers. Storage must be
    /// registered too.
    /// </summary>
    public static IServiceCollection AddJobQueueWorker(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddJobQueueExecution(configuration);
        services.TryAddSingleton<NotificationListener>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationListener>());
        services.TryAddSingleton<WorkerService>();
        services.AddHostedService(sp => sp.GetRequiredService<WorkerService>());
        services.AddHostedService<IndexRebuildService>();
        services.AddJobQueueScheduler(configuration);

        // The host must wait for the drain: the shutdown timeout, a grace period for the stop
        // to take effect, and time to store the outcomes.
        services.Configure<HostOptions>(host =>
        {
            var wanted = configuration.GetSection(WorkerOptions.SectionName).Get<WorkerOptions>()?.ShutdownTimeout
                ?? WorkerOptions.DefaultShutdownTimeout;
            host.ShutdownTimeout = wanted + TimeSpan.FromSeconds(15);
        });
        return services;
    }

    /// <summary>
    /// Registers what runs a claimed attempt, without any background loop: dispatchers, the
    /// built-in job kinds (<c>noop</c>, <c>echo</c>, <c>sleep</c>, <c>fail</c>) and the
    /// <see cref="InlineExecutor"/>. Storage must be registered too.
    /// </summary>
    public static IServiceCollection AddJobQueueExecution(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WorkerOptions>()
            .Bind(configuration.GetSection(WorkerOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WorkerOptions>>(new DescribedValidation<WorkerOptions>(o => o.Validate()));
        services.AddOptions<WebhookOptions>()
            .Bind(configuration.GetSection(WebhookOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>>(new DescribedValidation<WebhookOptions>(o => o.Validate()));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WorkerIdentity>();
        services.TryAddSingleton<RunningAttempts>();
        services.TryAddSingleton<RetryPolicy>();
        services.TryAddSingleton<ResultSerializer>();
        services.TryAddSingleton<JobRunner>();
        services.TryAddSingleton<LeaseKeeper>();
        services.TryAddSingleton<InlineExecutor>();
        services.TryAddSingleton<HandlerDispatcher>();
        services.TryAddSingleton<WebhookDispatcher>();
        services.TryAddSingleton<EndpointCatalog>();
        services.TryAddSingleton<EndpointRefreshService>();
        services.AddHostedService(sp => sp.GetRequiredService<EndpointRefreshService>());

        // Order matters: a kind with both a handler and a webhook route runs in the handler.
        services.AddSingleton<IJobDispatcher>(sp => sp.GetRequiredService<HandlerDispatcher>());
        services.AddSingleton<IJobDispatcher>(sp => sp.GetRequiredService<WebhookDispatcher>());

        services.TryAddSingleton(sp => new DestinationGuard(
            sp.GetRequiredService<IOptions<WebhookOptions>>().Value.AllowedNetworks.Select(n => IPNetwork.Parse(n))));
        services.AddHttpClient(WebhookDispatcher.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                UseProxy = false,
                // Each route's ConnectTimeout is applied in DestinationGuard.ConnectAsync, so the
                // handler's own limit is only a backstop above the largest allowed setting.
                ConnectTimeout = WebhookOptions.MaxRouteDuration + TimeSpan.FromMinutes(1),

                // The dispatcher sets traceparent itself from its delivery activity, so the handler
                // must not inject trace headers of its own.
                ActivityHeadersPropagator = null,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                AutomaticDecompression = DecompressionMethods.None,
                ConnectCallback = sp.GetRequiredService<DestinationGuard>().ConnectAsync,
            });

        services.AddJobHandler<NoopHandler>(NoopHandler.Kind);
        services.AddJobHandler<EchoHandler>(EchoHandler.Kind);
        services.AddJobHandler<ClockHandler>(ClockHandler.Kind);
        services.AddJobHandler<SleepHandler>(SleepHandler.Kind);
        services.AddJobHandler<FailHandler>(FailHandler.Kind);
        return services;
    }

    /// <summary>
    /// Registers the writing of the <c>Schedules</c> configuration section to the database at
    /// start-up. Register it after the migration service, so that it writes to a migrated schema.
    /// Storage must be registered too.
    /// </summary>
    public static IServiceCollection AddJobQueueScheduleSync(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddHostedService<ScheduleConfigSync>();
        return services;
    }

    // The scheduler runs in every worker; the database lets exactly one of them enqueue each slot.
    private static void AddJobQueueScheduler(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CronOptions>()
            .Bind(configuration.GetSection(CronOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<CronOptions>>(new DescribedValidation<CronOptions>(o => o.Validate()));
        services.TryAddSingleton<Scheduler>();
        services.AddHostedService<SchedulerService>();
    }

    /// <summary>Registers <typeparamref name="THandler"/> to run jobs of <paramref name="kind"/>.</summary>
    public static IServiceCollection AddJobHandler<THandler>(this IServiceCollection services, string kind)
        where THandler : class, IJobHandler
    {
        services.AddSingleton(new HandlerRegistration(kind, typeof(THandler)));
        services.TryAddScoped<THandler>();
        return services;
    }

    private sealed class DescribedValidation<T>(Func<T, string?> validate) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options) =>
            validate(options) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;
    }
}
