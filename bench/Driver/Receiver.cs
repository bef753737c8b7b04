namespace JobQueue.Bench;

/// <summary>A webhook receiver on loopback that answers every POST with 200 at once.</summary>
internal static class Receiver
{
    /// <summary>
    /// Starts the receiver and warms it up, so that a webhook drain measures the deliveries and
    /// not the receiver compiling its own code. Started cold, the compiler thread of this process
    /// took 6% of the machine's CPU samples in the first 6 seconds of the deliveries.
    /// </summary>
    public static async Task<WebApplication> StartAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapPost("/hook", () => Results.Ok());
        await app.StartAsync();
        await WarmUpAsync(new Uri($"http://127.0.0.1:{port}/hook"));
        return app;
    }

    // 5,000 requests from 8 connections, then a second for the runtime to finish compiling the
    // methods they made hot.
    private static async Task WarmUpAsync(Uri url)
    {
        using var client = new HttpClient();
        var next = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Interlocked.Increment(ref next) <= 5_000)
            {
                using var content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                using var response = await client.PostAsync(url, content);
                response.EnsureSuccessStatusCode();
            }
        }));
        await Task.Delay(TimeSpan.FromSeconds(1));
    }
}
