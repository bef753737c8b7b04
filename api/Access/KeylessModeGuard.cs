using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Access;

/// <summary>
/// Keeps the keyless mode (<c>Api:Auth:Mode=none</c>) on loopback. At start-up it rejects the
/// mode unless every configured URL is loopback. Once the server listens, it checks the addresses
/// actually bound and stops the host if one is not. <see cref="AccessMiddleware"/> also serves
/// keyless requests only on loopback connections.
/// </summary>
public sealed class KeylessModeGuard(
    IOptions<AccessOptions> options, IConfiguration configuration, IServer server, IHostApplicationLifetime lifetime,
    ILogger<KeylessModeGuard> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Mode != AccessMode.None)
        {
            return Task.CompletedTask;
        }

        var urls = ConfiguredUrls(configuration);
        var remote = urls.Where(url => !IsLoopbackUrl(url)).ToList();
        if (remote.Count > 0)
        {
            var message = RejectionMessage(remote);
            ApiLog.KeylessModeRejected(logger, message);
            throw new KeylessModeRejectedException(message);
        }

        ApiLog.KeylessModeActive(logger, urls.Count == 0 ? "the default http://localhost:5000" : string.Join(", ", urls));
        lifetime.ApplicationStarted.Register(CheckBoundAddresses);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Whether the request came in on a loopback address; true for in-process servers and Unix sockets, which have none.</summary>
    public static bool IsLocalConnection(HttpContext context)
    {
        var local = context.Connection.LocalIpAddress;
        if (local is null)
        {
            return true;
        }

        return IPAddress.IsLoopback(local.IsIPv4MappedToIPv6 ? local.MapToIPv4() : local);
    }

    /// <summary>
    /// Whether Kestrel binds <paramref name="url"/> to loopback only: <c>localhost</c>, a loopback
    /// IP address or a Unix socket. Any other host name binds every interface, as do <c>*</c> and <c>+</c>.
    /// </summary>
    public static bool IsLoopbackUrl(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException)
        {
            return false;
        }

        if (address.IsUnixPipe)
        {
            return true;
        }

        var host = address.Host.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
    }

    /// <summary>
    /// The URLs the host will bind, read as ASP.NET Core reads them: <c>urls</c> (from
    /// <c>ASPNETCORE_URLS</c> or <c>--urls</c>), <c>http_ports</c> and <c>https_ports</c>, which bind
    /// every interface, and the Kestrel endpoints of the configuration.
    /// </summary>
    public static List<string> ConfiguredUrls(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var urls = new List<string>();
        foreach (var key in new[] { "urls", "ASPNETCORE_URLS", "DOTNET_URLS" })
        {
            urls.AddRange(Split(configuration[key]));
        }

        foreach (var (key, scheme) in new[] { ("http_ports", "http"), ("https_ports", "https"),
                     ("ASPNETCORE_HTTP_PORTS", "http"), ("ASPNETCORE_HTTPS_PORTS", "https") })
        {
            urls.AddRange(Split(configuration[key]).Select(port => $"{scheme}://*:{port}"));
        }

        foreach (var endpoint in configuration.GetSection("Kestrel:Endpoints").GetChildren())
        {
            if (endpoint["Url"] is { Length: > 0 } url)
            {
                urls.Add(url);
            }
        }

        return urls.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
    }

    private static string[] Split(string? value) =>
        (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string RejectionMessage(IEnumerable<string> remote) =>
        "Api:Auth:Mode is none, which turns off API keys, but the API would listen on " + string.Join(", ", remote) +
        ", which is not loopback. Keyless mode is for development on this machine only. Listen on 127.0.0.1 or " +
        "localhost (for example --urls http://127.0.0.1:8080), or remove Api:Auth:Mode and create a key with " +
        "'JobQueue.Api keys create'.";

    private void CheckBoundAddresses()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var remote = addresses.Where(address => !IsLoopbackUrl(address)).ToList();
        if (remote.Count == 0)
        {
            return;
        }

        var message = RejectionMessage(remote);
        ApiLog.KeylessModeRejected(logger, message);
        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }
}

/// <summary>The keyless mode was configured with a URL that is not loopback; the host does not start.</summary>
public sealed class KeylessModeRejectedException : Exception
{
    public KeylessModeRejectedException()
    {
    }

    public KeylessModeRejectedException(string message)
        : base(message)
    {
    }

    public KeylessModeRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
