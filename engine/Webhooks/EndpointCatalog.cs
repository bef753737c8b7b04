using JobQueue.Engine.Options;
using JobQueue.Storage;

namespace JobQueue.Engine.Webhooks;

/// <summary>
/// This worker's copy of the endpoints managed over <c>/v1/endpoints</c>, by kind, reloaded by
/// <see cref="EndpointRefreshService"/>. Each endpoint keeps its circuit across reloads. Lookups
/// are lock-free reads of an immutable snapshot. Thread-safe.
/// </summary>
public sealed class EndpointCatalog(TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, RouteCircuit> _circuits = [];

    // Endpoints this worker disabled itself, with the reason and when the disable was stored
    // (long.MaxValue while the database write is still under way).
    private readonly Dictionary<long, (string Reason, long MarkedAt)> _disabledHere = [];
    private volatile Snapshot _snapshot = new(new Dictionary<string, ApiEndpoint>(StringComparer.Ordinal));

    /// <summary>Whether an endpoint, enabled or not, serves <paramref name="kind"/>.</summary>
    public bool Serves(string kind) => _snapshot.ByKind.ContainsKey(kind);

    /// <summary>The endpoint that serves <paramref name="kind"/>, or null.</summary>
    public ApiEndpoint? Find(string kind) => _snapshot.ByKind.GetValueOrDefault(kind);

    /// <summary>Number of endpoints in the current snapshot.</summary>
    public int Count => _snapshot.ByKind.Values.Select(e => e.Id).Distinct().Count();

    /// <summary>The timestamp to pass to <see cref="Load"/> as the moment its rows were read.</summary>
    public long Now() => timeProvider.GetTimestamp();

    /// <summary>
    /// Replaces the snapshot with <paramref name="rows"/>, read from the database from
    /// <paramref name="readStarted"/> (a timestamp from <see cref="Now"/>) on. An endpoint this
    /// worker disabled after that moment stays disabled: the rows may predate the disable.
    /// </summary>
    public void Load(IReadOnlyList<WebhookEndpointRow> rows, long readStarted)
    {
        var byKind = new Dictionary<string, ApiEndpoint>(StringComparer.Ordinal);
        lock (_lock)
        {
            foreach (var id in _disabledHere.Where(pair => pair.Value.MarkedAt < readStarted).Select(pair => pair.Key).ToList())
            {
                _disabledHere.Remove(id);
            }

            var live = new HashSet<long>();
            foreach (var row in rows)
            {
                live.Add(row.Id);
                if (!_circuits.TryGetValue(row.Id, out var circuit))
                {
                    circuit = new RouteCircuit(WebhookRoute.DefaultCircuitFailureThreshold, WebhookRoute.DefaultCircuitOpenDuration, timeProvider);
                    _circuits[row.Id] = circuit;
                }

                var endpoint = ApiEndpoint.From(row, circuit);
                if (endpoint.Enabled && _disabledHere.TryGetValue(row.Id, out var disabled))
                {
                    endpoint = endpoint with { Enabled = false, DisabledReason = disabled.Reason };
                }
                foreach (var kind in row.Kinds)
                {
                    byKind[kind] = endpoint;
                }
            }

            foreach (var gone in _circuits.Keys.Where(id => !live.Contains(id)).ToList())
            {
                _circuits.Remove(gone);
            }

            _snapshot = new Snapshot(byKind);
        }
    }

    /// <summary>
    /// Marks endpoint <paramref name="id"/> disabled, at least until <see cref="DisableStored"/>
    /// is called, and then until a reload whose rows were read after that call.
    /// </summary>
    public void MarkDisabled(long id, string reason)
    {
        lock (_lock)
        {
            _disabledHere[id] = (reason, long.MaxValue);
            var byKind = _snapshot.ByKind.ToDictionary(
                pair => pair.Key,
                pair => pair.Value.Id == id ? pair.Value with { Enabled = false, DisabledReason = reason } : pair.Value,
                StringComparer.Ordinal);
            _snapshot = new Snapshot(byKind);
        }
    }

    /// <summary>
    /// Ends the wait that <see cref="MarkDisabled"/> started: the disable of endpoint
    /// <paramref name="id"/> was written to the database, or could not be, and the next reload
    /// that reads after this moment decides.
    /// </summary>
    public void DisableStored(long id)
    {
        lock (_lock)
        {
            if (_disabledHere.TryGetValue(id, out var disabled))
            {
                _disabledHere[id] = disabled with { MarkedAt = timeProvider.GetTimestamp() };
            }
        }
    }

    private sealed record Snapshot(IReadOnlyDictionary<string, ApiEndpoint> ByKind);
}

/// <summary>An endpoint as a worker delivers to it: a route built from its settings, its keys and its circuit.</summary>
public sealed record ApiEndpoint(
    long Id,
    WebhookRoute Route,
    IReadOnlyList<byte[]> Keys,
    RouteCircuit Circuit,
    int? MaxAttempts,
    IReadOnlySet<int> RetryStatuses,
    bool Enabled,
    string? DisabledReason)
{
    public static ApiEndpoint From(WebhookEndpointRow row, RouteCircuit circuit)
    {
        var route = new WebhookRoute
        {
            Kind = row.Kinds[0],
            Url = row.Url,
            Timeout = TimeSpan.FromMilliseconds(row.TimeoutMs),
            ConnectTimeout = TimeSpan.FromMilliseconds(row.ConnectTimeoutMs),
            ResponseHeadersTimeout = row.ResponseHeadersTimeoutMs is { } ms ? TimeSpan.FromMilliseconds(ms) : null,
            BodyReadTimeout = TimeSpan.FromMilliseconds(row.BodyReadTimeoutMs),
            Headers = new Dictionary<string, string>(row.Headers, StringComparer.OrdinalIgnoreCase),
        };

        // The new secret signs first. A receiver that still has only the previous secret needs a
        // verifier that checks every signature; StandardWebhooks 1.1.2 never matches the last one.
        var keys = new List<byte[]>();
        foreach (var secret in new[] { row.Secret, row.PreviousSecret })
        {
            if (WebhookSigner.TryDecodeSecret(secret, out var key))
            {
                keys.Add(key);
            }
        }

        return new ApiEndpoint(row.Id, route, keys, circuit, row.MaxAttempts, row.RetryStatuses.ToHashSet(), row.Enabled, row.DisabledReason);
    }

    public override string ToString() => $"ApiEndpoint {{ Id = {Id}, Url = {Route.Url} }}";
}
