namespace JobQueue.Bench;

/// <summary>A webhook receiver on loopback that answers every POST with 200 at once.</summary>
internal static class Receiver
{
    public static async Task<WebApplication> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapPost("/hook", () => Results.Ok());
        await app.StartAsync();
        return app;
    }
}
