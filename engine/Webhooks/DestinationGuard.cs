using System.Net;
using System.Net.Sockets;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// Server-side request forgery guard for webhook deliveries. It checks the address a delivery
/// actually connects to, after DNS, so a public name that resolves to 127.0.0.1 or to a cloud
/// metadata address is caught as well as a literal address. Loopback, private, shared
/// (carrier-grade NAT), link-local (which includes 169.254.169.254), multicast, unspecified,
/// broadcast, documentation and unique-local IPv6 ranges are rejected, unless an allowed network
/// contains the address.
/// </summary>
public sealed class DestinationGuard
{
    private static readonly IPNetwork[] Blocked =
    [
        IPNetwork.Parse("0.0.0.0/8"),
        IPNetwork.Parse("10.0.0.0/8"),
        IPNetwork.Parse("100.64.0.0/10"),
        IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"),
        IPNetwork.Parse("172.16.0.0/12"),
        IPNetwork.Parse("192.0.0.0/24"),
        IPNetwork.Parse("192.0.2.0/24"),
        IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"),
        IPNetwork.Parse("198.51.100.0/24"),
        IPNetwork.Parse("203.0.113.0/24"),
        IPNetwork.Parse("224.0.0.0/4"),
        IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"),
        IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("64:ff9b::/96"),
        IPNetwork.Parse("100::/64"),
        IPNetwork.Parse("2001:db8::/32"),
        IPNetwork.Parse("fc00::/7"),
        IPNetwork.Parse("fe80::/10"),
        IPNetwork.Parse("ff00::/8"),
    ];

    /// <summary>
    /// Request option with the time the connection to the target may take; without it the
    /// default route's <see cref="Options.WebhookRoute.ConnectTimeout"/> applies.
    /// </summary>
    public static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutOption = new("jobqueue.connect-timeout");

    private readonly IReadOnlyList<IPNetwork> _allowed;

    public DestinationGuard(IEnumerable<IPNetwork> allowed) => _allowed = allowed.ToList();

    /// <summary>Whether a delivery may connect to <paramref name="address"/>.</summary>
    public bool IsAllowed(IPAddress address)
    {
        // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address.
        var normalized = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        if (_allowed.Any(network => network.Contains(normalized)))
        {
            return true;
        }

        return !Blocked.Any(network => network.Contains(normalized));
    }

    /// <summary>
    /// Resolves the endpoint and connects to the first allowed address, DNS included within the
    /// request's <see cref="ConnectTimeoutOption"/>. Throws <see cref="DestinationBlockedException"/>
    /// when every address is blocked and <see cref="ConnectTimeoutException"/> when the time runs out.
    /// </summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (!context.InitialRequestMessage.Options.TryGetValue(ConnectTimeoutOption, out var timeout))
        {
            timeout = Options.WebhookRoute.DefaultConnectTimeout;
        }

        using var deadline = new CancellationTokenSource(timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var host = context.DnsEndPoint.Host;
        try
        {
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, linked.Token);
            var allowed = addresses.Where(IsAllowed).ToList();
            if (allowed.Count == 0)
            {
                throw new DestinationBlockedException(host, addresses);
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed.ToArray(), context.DnsEndPoint.Port, linked.Token);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new ConnectTimeoutException(host, context.DnsEndPoint.Port, timeout);
        }
    }
}

/// <summary>A delivery whose every resolved address is in a blocked range.</summary>
public sealed class DestinationBlockedException(string host, IReadOnlyList<IPAddress> addresses)
    : Exception($"The webhook host '{host}' resolves only to blocked addresses ({string.Join(", ", addresses)}): " +
        "loopback, private, link-local or another internal range. Add the network to Webhooks:AllowedNetworks " +
        "if the target is trusted.");

/// <summary>A connection to a webhook target that was not established within the route's connect timeout.</summary>
public sealed class ConnectTimeoutException(string host, int port, TimeSpan timeout)
    : TimeoutException(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"Connecting to the webhook host '{host}' on port {port} timed out after {timeout.TotalSeconds:0.###} s."));
