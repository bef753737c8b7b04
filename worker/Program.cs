using JobQueue.Engine;
using JobQueue.Engine.Telemetry;
using JobQueue.Storage;
using JobQueue.Worker;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

// Usage: JobQueue.Worker [migrate] [--queues "mice:2;elephants:1"] [--Section:Key value ...]
// 'migrate' applies the schema migrations and exits. Without it the worker runs until stopped,
// and serves health probes on Worker:HealthUrls when that is set.
var migrateOnly = args.Length > 0 && args[0] == "migrate";
var hostArgs = migrateOnly ? args[1..] : args;

// The content root is the folder of the binaries, so appsettings.json is found whichever folder
// the worker is started from.
var builder = Host.CreateApplicationBuilder(
    new HostApplicationBuilderSettings { Args = hostArgs, ContentRootPath = AppContext.BaseDirectory });
builder.Configuration.AddCommandLine(hostArgs, new Dictionary<string, string>
{
    ["--queues"] = "Worker:Queues",
});
builder.Services.AddJobQueueStorage(builder.Configuration);

if (migrateOnly)
{
    using var migrateHost = builder.Build();
    await migrateHost.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
    return 0;
}

// The health server starts first, so a health address that is taken stops the worker before
// it claims anything.
builder.Services.AddHostedService<HealthServer>();
builder.Services.AddJobQueueScheduleSync();
builder.Services.AddJobQueueWorker(builder.Configuration);
builder.AddJobQueueTelemetry("jobqueue-worker", metrics: metrics => metrics.AddPrometheusExporter());
if (builder.Configuration.GetValue("Database:MigrateOnStartup", true))
{
    // Registered first, so the schema exists before the listener and the pools start.
    builder.Services.Insert(0, ServiceDescriptor.Singleton<IHostedService, MigrationService>());
}

using var host = builder.Build();
try
{
    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException exception)
{
    await Console.Error.WriteLineAsync($"Invalid configuration: {string.Join(" ", exception.Failures)}");
    return 2;
}
catch (IOException exception) when (exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    await Console.Error.WriteLineAsync(
        $"{exception.Message} Another process is listening there; stop it or choose another address in {HealthServer.UrlsKey}.");
    return 1;
}
