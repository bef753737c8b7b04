using FastEndpoints;
using FastEndpoints.Swagger;
using JobQueue.Api.Access;
using JobQueue.Api.Dashboard;
using JobQueue.Api.Errors;
using JobQueue.Api.Health;
using JobQueue.Api.Json;
using JobQueue.Api.OpenApi;
using JobQueue.Engine;
using JobQueue.Engine.Telemetry;
using JobQueue.Storage;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace JobQueue.Api.Hosting;

/// <summary>Service registration and request pipeline of the API host, shared by every command.</summary>
public static class ApiApplication
{
    /// <summary>Registers the API's services on <paramref name="builder"/>.</summary>
    public static void AddApiServices(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddJobQueueStorage(builder.Configuration);

        services.AddOptions<ApiOptions>().BindConfiguration(ApiOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiOptions>, ApiOptionsValidator>();
        services.PostConfigure<ApiOptions>(options => options.UrlPolicy = Jobs.JobUrlPolicy.From(builder.Configuration));
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ApiOptions>>((kestrel, api) => kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBodyBytes);

        services.ConfigureHttpJsonOptions(options => ApiJson.Configure(options.SerializerOptions));
        services.AddProblemDetails();
        // First, so that a rejected keyless mode stops the host before anything else starts.
        services.AddHostedService<KeylessModeGuard>();
        services.AddHostedService<MigrateOnStartupService>();
        services.AddJobQueueScheduleSync();
        services.AddHostedService<IdempotencyKeyCleanupService>();
        services.AddHostedService<AuditCleanupService>();
        services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.SectionName).ValidateOnStart();
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AccessOptions>, AccessOptionsValidator>();
        services.AddSingleton<IValidateOptions<AuditOptions>, AccessOptionsValidator>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddKeyRateLimits();

        // One LISTEN connection per API process wakes the long-polling reads of GET /v1/jobs/{id}.
        services.AddSingleton<JobFinishedListener>();
        services.AddHostedService(provider => provider.GetRequiredService<JobFinishedListener>());

        // Another feeds the server-sent events of GET /v1/events.
        services.AddSingleton<JobEventListener>();
        services.AddHostedService(provider => provider.GetRequiredService<JobEventListener>());

        // Read here, not through IOptions, because it decides which services exist. The worker's
        // hosted services are registered after the migration service, so they start on a
        // migrated schema.
        var mode = builder.Configuration.GetSection(ApiOptions.SectionName).GetValue(nameof(ApiOptions.ExecutionMode), ExecutionMode.External);
        if (mode == ExecutionMode.Async)
        {
            services.AddJobQueueWorker(builder.Configuration);
            services.AddHostedService<AsyncModeNotice>();
        }
        else if (mode == ExecutionMode.Inline)
        {
            // No background worker: tests get exactly one attempt per due job, in the request.
            services.AddJobQueueExecution(builder.Configuration);
            services.AddHostedService<AsyncModeNotice>();
        }

        builder.AddJobQueueTelemetry(
            "jobqueue-api",
            tracing => tracing.AddAspNetCoreInstrumentation(options => options.Filter = context => !IsProbe(context.Request.Path)),
            metrics => metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter());

        services.AddFastEndpoints(options => options.Assemblies = [typeof(ApiApplication).Assembly]);
        services.AddJobQueueOpenApi();
    }

    /// <summary>Builds the request pipeline: problem responses first, then routing, then the endpoints.</summary>
    public static void UseApiPipeline(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseProblemResponses();
        app.UseRouting();

        // After routing, so that the audit log names the route and queue-limited keys see the
        // endpoint's metadata; the rate limiter partitions by the key the access check found.
        app.UseMiddleware<AuditMiddleware>();
        app.UseMiddleware<AccessMiddleware>();
        app.UseRateLimiter();
        app.UseContentTypeCheck();
        app.UseJobQueueOpenApi();
        app.UseFastEndpoints(config =>
        {
            ApiJson.Configure(config.Serializer.Options);
            config.Serializer.RequestDeserializer = ApiJson.CreateRequestReader(config.Serializer.Options);

            // JSON errors reach ProblemMiddleware as RequestRejectedException instead of FastEndpoints'
            // own failure list, so they get the malformed-request type and the field's wire name.
            config.Binding.JsonExceptionTransformer = null;
            config.Binding.FailureMessage = (type, name, _) => BindingFailureMessage(type, name);
            config.Errors.ContentType = ApiProblem.ContentType;
            config.Errors.ProducesMetadataType = typeof(ApiProblem);
            config.Errors.ResponseBuilder = (failures, context, _) => ApiProblem.FromValidationFailures(context, failures);
        });
        app.MapHealthEndpoints();
        app.MapPrometheusScrapingEndpoint(MetricsPath).ExcludeFromDescription();
        app.MapDashboard();
    }

    /// <summary>Path of the Prometheus scrape endpoint.</summary>
    public const string MetricsPath = "/metrics";

    // Probes and scrapes arrive every few seconds and would fill the traces with noise.
    private static bool IsProbe(PathString path) =>
        path.StartsWithSegments("/healthz", StringComparison.Ordinal) || path.StartsWithSegments(MetricsPath, StringComparison.Ordinal);

    // Route and query values that do not parse, such as /v1/jobs/abc. The value is not echoed,
    // because it can be long.
    private static string BindingFailureMessage(Type type, string name)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        return target == typeof(long) ? $"{name} must be an integer between 1 and {long.MaxValue}."
            : target == typeof(int) ? $"{name} must be an integer between {int.MinValue} and {int.MaxValue}."
            : $"{name} has an invalid value.";
    }
}
