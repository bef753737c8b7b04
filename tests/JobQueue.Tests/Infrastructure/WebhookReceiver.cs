using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobQueue.Tests.Infrastructure;

/// <summary>
/// A real HTTP server on 127.0.0.1 that receives webhook deliveries, records each one, and
/// answers as the test tells it per path.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<HttpContext, Task>> _responders = new(StringComparer.Ordinal);

    private WebhookReceiver(WebApplication app) => _app = app;

    public ConcurrentQueue<ReceivedDelivery> Deliveries { get; } = new();

    public string BaseUrl { get; private set; } = "";

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/{**path}", receiver.HandleAsync);
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!;
        receiver.BaseUrl = addresses.Addresses.Single().TrimEnd('/');
        return receiver;
    }

    /// <summary>Sets how requests to <paramref name="path"/> are answered; unset paths get 200 with <c>{"ok":true}</c>.</summary>
    public void Respond(string path, Func<HttpContext, Task> responder) => _responders[path] = responder;

    public string Url(string path) => $"{BaseUrl}/{path}";

    private async Task HandleAsync(HttpContext context, string path)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        Deliveries.Enqueue(new ReceivedDelivery(path, body, headers, new HeaderDictionary(context.Request.Headers.ToDictionary())));
        if (_responders.TryGetValue(path, out var responder))
        {
            await responder(context);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("""{"ok":true}""", context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One request the receiver got, with header names in lower case.</summary>
public sealed record ReceivedDelivery(
    string Path, string Body, IReadOnlyDictionary<string, string> Headers, IHeaderDictionary RawHeaders);
