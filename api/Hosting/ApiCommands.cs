using JobQueue.Storage;

namespace JobQueue.Api.Hosting;

/// <summary>
/// Command-line entry: no command serves HTTP; <c>migrate</c> applies the database migrations and
/// exits; <c>keys</c> creates, lists and revokes API keys; <c>openapi FILE</c> writes the OpenAPI
/// document as YAML and exits without a database.
/// </summary>
internal static class ApiCommands
{
    public static async Task<int> RunAsync(string[] args)
    {
        switch (args)
        {
            case ["migrate", .. var rest]:
                return await MigrateAsync(rest);

            case ["openapi", var path, .. var rest]:
                return await OpenApi.OpenApiExport.WriteYamlAsync(path, rest);

            case ["keys", .. var rest]:
                return await KeysCommand.RunAsync(rest);

            case ["openapi"]:
                await Console.Error.WriteLineAsync("Usage: JobQueue.Api openapi FILE   (for example: openapi openapi.yaml)");
                return 2;

            default:
                // The content root is the folder of the binaries, so appsettings.json is found
                // whichever folder the host is started from.
                var builder = WebApplication.CreateBuilder(
                    new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
                builder.AddApiServices();
                try
                {
                    await using var app = builder.Build();
                    app.UseApiPipeline();
                    await app.RunAsync();
                }
                catch (Access.KeylessModeRejectedException rejected)
                {
                    // Already logged; repeated here because the process ends before a buffered logger may flush.
                    await Console.Error.WriteLineAsync(rejected.Message);
                    return 1;
                }
                catch (IOException bindFailed) when (bindFailed.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
                {
                    await Console.Error.WriteLineAsync(
                        $"{bindFailed.Message} Another process is listening there; stop it or choose another address with --urls.");
                    return 1;
                }

                // Set when the server bound an address that the keyless mode does not allow.
                return Environment.ExitCode;
        }
    }

    private static async Task<int> MigrateAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(
            new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddJobQueueStorage(builder.Configuration);
        using var host = builder.Build();
        var migrator = host.Services.GetRequiredService<Migrator>();
        await migrator.MigrateAsync(CancellationToken.None);
        return 0;
    }
}
