using JobQueue.Engine.Webhooks;
using JobQueue.Storage.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace JobQueue.Engine.Telemetry;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>Standard variable that turns on OTLP export of traces, metrics and logs.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// Registers OpenTelemetry for a host: the job queue's spans and metrics, Npgsql's, HttpClient's
    /// and the .NET runtime's, and the queue depth collector. Traces, metrics and logs are exported
    /// over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; the other standard <c>OTEL_*</c>
    /// variables (protocol, headers, service name, resource attributes) apply as the SDK reads them.
    /// <c>Telemetry:Tracing</c> decides whether spans are recorded (by default only while exported).
    /// Hosts add their own instrumentation and the Prometheus exporter in the callbacks.
    /// </summary>
    public static IHostApplicationBuilder AddJobQueueTelemetry(
        this IHostApplicationBuilder builder,
        string serviceName,
        Action<TracerProviderBuilder>? tracing = null,
        Action<MeterProviderBuilder>? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().Bind(builder.Configuration.GetSection(TelemetryOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TelemetryOptions>>(new TelemetryOptionsValidation());
        services.AddHostedService<QueueDepthCollector>();

        var exporting = !string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]);
        var tracingSetting = builder.Configuration[$"{TelemetryOptions.SectionName}:{nameof(TelemetryOptions.Tracing)}"];
        var otel = services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME, when set, names the service instead.
                if (string.IsNullOrEmpty(builder.Configuration["OTEL_SERVICE_NAME"]))
                {
                    resource.AddService(serviceName, serviceInstanceId: Environment.MachineName + ":" + Environment.ProcessId);
                }
            });

        // An invalid value fails at start-up through the options validation above.
        if (TelemetryOptions.TracingModeOf(tracingSetting, exporting) == true)
        {
            otel.WithTracing(trace =>
            {
                trace.AddSource(JobQueueTelemetry.Name, WebhookDispatcher.ActivitySourceName)
                    .AddNpgsql()
                    .AddHttpClientInstrumentation();
                tracing?.Invoke(trace);
            });
        }

        otel.WithMetrics(meter =>
        {
            meter.AddMeter(JobQueueTelemetry.Name)
                .AddNpgsqlInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation();
            metrics?.Invoke(meter);
        });

        if (exporting)
        {
            // Logs go through OpenTelemetry only when they are exported, so a host without a
            // collector does not pay for it.
            otel.WithLogging(_ => { }, options =>
            {
                options.IncludeFormattedMessage = true;
                options.IncludeScopes = true;
            });
            otel.UseOtlpExporter();
        }

        return builder;
    }

    private sealed class TelemetryOptionsValidation : IValidateOptions<TelemetryOptions>
    {
        public ValidateOptionsResult Validate(string? name, TelemetryOptions options) =>
            options.Validate() is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;
    }
}
