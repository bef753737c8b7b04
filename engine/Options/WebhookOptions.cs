namespace JobQueue.Engine.Options;

/// <summary>Webhook routes by job kind, bound from the <c>Webhooks</c> section.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    public const int DefaultMaxResponseBytes = 64 * 1024;

    /// <summary>Upper bound of every per-route duration setting.</summary>
    public static readonly TimeSpan MaxRouteDuration = TimeSpan.FromHours(1);

    /// <summary>
    /// Routes, for example <c>Webhooks__Routes__0__Kind=email.send</c>,
    /// <c>Webhooks__Routes__0__Url=https://mailer.internal/jobs</c>,
    /// <c>Webhooks__Routes__0__Secret=whsec_…</c>.
    /// </summary>
    public List<WebhookRoute> Routes { get; set; } = [];

    /// <summary>
    /// Signing secrets and timeouts of batch callback URLs, for example
    /// <c>Webhooks__BatchCallbacks__Secret=whsec_…</c>. Each finished batch with a
    /// <c>callback_url</c> enqueues a job of kind <c>jobqueue.batch_callback</c>, which a worker
    /// with this section delivers to the URL in the job's args. <c>Kind</c> and <c>Url</c> are not
    /// used. Default none: such jobs fail with <c>no_handler</c> until a worker has it.
    /// </summary>
    public WebhookRoute? BatchCallbacks { get; set; }

    /// <summary>Largest part of a response body that is read and stored, in bytes. Default 65,536.</summary>
    public int MaxResponseBytes { get; set; } = DefaultMaxResponseBytes;

    /// <summary>
    /// Networks in CIDR form that deliveries may reach although they are internal, for trusted
    /// internal targets and local development, for example <c>127.0.0.0/8</c> or <c>10.1.0.0/16</c>.
    /// Every other loopback, private, link-local and similar address is rejected. Default none.
    /// </summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>
    /// Whether routes may use plain http. Off by default, because the signature proves who sent a
    /// delivery but not that nobody read it on the way. Turn it on for local development.
    /// </summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// Longest wait a 429 or 503 response's <c>Retry-After</c> can ask for; a longer one is cut
    /// to this. Default 1 hour.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How often a worker reloads the endpoints managed over <c>/v1/endpoints</c>, so changes
    /// apply without a restart. Default 1 second.
    /// </summary>
    public TimeSpan EndpointRefreshInterval { get; set; } = DefaultEndpointRefreshInterval;

    public static readonly TimeSpan DefaultEndpointRefreshInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Deliveries to URLs that a job names itself: its <c>webhook_url</c> and its completion
    /// callback. Off by default.
    /// </summary>
    public JobUrlOptions JobUrls { get; set; } = new();

    /// <summary>Returns the first invalid setting as a message, or null when all are valid.</summary>
    public string? Validate()
    {
        if (EndpointRefreshInterval < TimeSpan.FromMilliseconds(10) || EndpointRefreshInterval > TimeSpan.FromMinutes(10))
        {
            return $"Webhooks:EndpointRefreshInterval must be between 10 ms and 10 minutes; it is {EndpointRefreshInterval}.";
        }

        if (JobUrls.Validate() is { } jobUrlError)
        {
            return jobUrlError;
        }

        var kinds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Routes.Count; i++)
        {
            var route = Routes[i];
            var name = $"Webhooks:Routes:{i}";
            if (string.IsNullOrWhiteSpace(route.Kind))
            {
                return $"{name}:Kind is missing.";
            }

            if (!kinds.Add(route.Kind))
            {
                return $"{name}:Kind '{route.Kind}' has a route already; each kind has at most one.";
            }

            if (!Uri.TryCreate(route.Url, UriKind.Absolute, out var url) || (url.Scheme != "http" && url.Scheme != "https"))
            {
                return $"{name}:Url must be an absolute http or https URL; it is '{route.Url}'.";
            }

            if (url.Scheme == "http" && !AllowHttp)
            {
                return $"{name}:Url '{route.Url}' uses http; use https, or set Webhooks:AllowHttp to true for local development.";
            }

            if (route.ValidateSecrets(name) is { } secretError)
            {
                return secretError;
            }

            if (route.ValidateTimeouts(name) is { } timeoutError)
            {
                return timeoutError;
            }

            if (route.CircuitFailureThreshold is < 1 or > WebhookRoute.MaxCircuitFailureThreshold)
            {
                return $"{name}:CircuitFailureThreshold must be between 1 and {WebhookRoute.MaxCircuitFailureThreshold}; " +
                    $"it is {route.CircuitFailureThreshold}.";
            }

            if (route.CircuitOpenDuration <= TimeSpan.Zero || route.CircuitOpenDuration > MaxRouteDuration)
            {
                return $"{name}:CircuitOpenDuration must be more than 0 and at most 1 hour; it is {route.CircuitOpenDuration}.";
            }
        }

        if (BatchCallbacks is { } callbacks)
        {
            if (callbacks.ValidateSecrets("Webhooks:BatchCallbacks") is { } secretError)
            {
                return secretError;
            }

            if (callbacks.ValidateTimeouts("Webhooks:BatchCallbacks") is { } timeoutError)
            {
                return timeoutError;
            }
        }

        foreach (var network in AllowedNetworks)
        {
            if (!System.Net.IPNetwork.TryParse(network, out _))
            {
                return $"Webhooks:AllowedNetworks contains '{network}', which is not a network in CIDR form such as 127.0.0.0/8.";
            }
        }

        if (MaxRetryAfter < TimeSpan.Zero)
        {
            return $"Webhooks:MaxRetryAfter must not be negative; it is {MaxRetryAfter}.";
        }

        return MaxResponseBytes < 0 ? "Webhooks:MaxResponseBytes must not be negative." : null;
    }
}

/// <summary>Where and how jobs of one kind are delivered.</summary>
public sealed class WebhookRoute
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan DefaultBodyReadTimeout = TimeSpan.FromSeconds(10);

    public const int DefaultCircuitFailureThreshold = 5;

    public const int MaxCircuitFailureThreshold = 1000;

    public static readonly TimeSpan DefaultCircuitOpenDuration = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Maximum number of signing secrets per route, which bounds the size of the
    /// <c>webhook-signature</c> header.
    /// </summary>
    public const int MaxSecrets = 10;

    /// <summary>The job kind delivered to this route.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Absolute http or https URL that receives a POST per attempt.</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// Current signing secret, <c>whsec_</c> and base64 of the key bytes. Optional when
    /// <see cref="Secrets"/> is set. Never logged.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>
    /// More signing secrets, newest first, for rotation: each delivery carries one <c>v1,</c>
    /// signature per secret, <see cref="Secret"/> first, so receivers that know only the old or
    /// only the new secret both verify. Default none. Never logged.
    /// </summary>
    public List<string> Secrets { get; set; } = [];

    /// <summary>
    /// Time one delivery may take, connect to last byte; a job's own timeout, when shorter, wins.
    /// Default 30 seconds.
    /// </summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>Time to open the TCP connection to the target. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>
    /// Time from sending the request until the response headers arrive, connecting included.
    /// Default: <see cref="Timeout"/>.
    /// </summary>
    public TimeSpan? ResponseHeadersTimeout { get; set; }

    /// <summary>
    /// Time to read the response body after the headers arrived. Together with
    /// <see cref="WebhookOptions.MaxResponseBytes"/> it stops a target that trickles bytes or
    /// streams without end from holding a worker slot. Default 10 seconds.
    /// </summary>
    public TimeSpan BodyReadTimeout { get; set; } = DefaultBodyReadTimeout;

    /// <summary>
    /// Consecutive failed deliveries (connection errors, timeouts and 5xx responses) after which
    /// this worker stops calling the route for <see cref="CircuitOpenDuration"/>. Default 5.
    /// </summary>
    public int CircuitFailureThreshold { get; set; } = DefaultCircuitFailureThreshold;

    /// <summary>
    /// Time the route stays open (not called) after <see cref="CircuitFailureThreshold"/>
    /// failures. Then one probe delivery goes through, and its result closes or re-opens the
    /// circuit. Default 30 seconds.
    /// </summary>
    public TimeSpan CircuitOpenDuration { get; set; } = DefaultCircuitOpenDuration;

    /// <summary>Extra request headers, for example an API key the receiver expects.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];

    /// <summary>The effective <see cref="ResponseHeadersTimeout"/>.</summary>
    public TimeSpan EffectiveResponseHeadersTimeout => ResponseHeadersTimeout ?? Timeout;

    /// <summary>All signing secrets, newest first: <see cref="Secret"/> and then <see cref="Secrets"/>.</summary>
    public IEnumerable<string> AllSecrets =>
        string.IsNullOrEmpty(Secret) ? Secrets : Secrets.Prepend(Secret);

    internal string? ValidateSecrets(string name)
    {
        if (string.IsNullOrEmpty(Secret) && Secrets.Count == 0)
        {
            return $"{name}:Secret is missing; set Secret, or Secrets for several.";
        }

        if (Secret is { Length: > 0 } && !Webhooks.WebhookSigner.TryDecodeSecret(Secret, out _))
        {
            return $"{name}:Secret must be 'whsec_' followed by base64 of 24 to 64 random bytes.";
        }

        for (var i = 0; i < Secrets.Count; i++)
        {
            if (!Webhooks.WebhookSigner.TryDecodeSecret(Secrets[i], out _))
            {
                return $"{name}:Secrets:{i} must be 'whsec_' followed by base64 of 24 to 64 random bytes.";
            }
        }

        var all = AllSecrets.ToList();
        if (all.Count > MaxSecrets)
        {
            return $"{name}:Secrets has {all.Count} secrets with Secret; at most {MaxSecrets} are allowed.";
        }

        // The message names no secret, because error messages end up in logs.
        return all.Distinct(StringComparer.Ordinal).Count() != all.Count
            ? $"{name}:Secrets repeats a secret; list each secret once."
            : null;
    }

    internal string? ValidateTimeouts(string name)
    {
        (string Setting, TimeSpan Value)[] durations =
        [
            ("Timeout", Timeout),
            ("ConnectTimeout", ConnectTimeout),
            ("ResponseHeadersTimeout", EffectiveResponseHeadersTimeout),
            ("BodyReadTimeout", BodyReadTimeout),
        ];
        foreach (var (setting, value) in durations)
        {
            if (value <= TimeSpan.Zero || value > WebhookOptions.MaxRouteDuration)
            {
                return $"{name}:{setting} must be more than 0 and at most 1 hour; it is {value}.";
            }
        }

        return null;
    }
}

/// <summary>
/// Settings of deliveries to per-job URLs (<c>webhook_url</c>) and completion callbacks
/// (<c>callback_url</c>), bound from <c>Webhooks:JobUrls</c>. The API accepts such URLs only when
/// <see cref="Enabled"/> is set, and workers deliver to them only then.
/// </summary>
public sealed class JobUrlOptions
{
    /// <summary>Whether jobs may name their own delivery and callback URLs. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Secret that signs deliveries to per-job URLs and callbacks; required when <see cref="Enabled"/>. Never logged.</summary>
    public string? Secret { get; set; }

    /// <summary>More secrets, newest first, for rotation, as for routes. Never logged.</summary>
    public List<string> Secrets { get; set; } = [];

    /// <summary>Time one delivery may take, connect to last byte. Default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = WebhookRoute.DefaultTimeout;

    /// <summary>Time to open the connection. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = WebhookRoute.DefaultConnectTimeout;

    /// <summary>Time to read the response body. Default 10 seconds.</summary>
    public TimeSpan BodyReadTimeout { get; set; } = WebhookRoute.DefaultBodyReadTimeout;

    /// <summary>A route to <paramref name="url"/> with these settings, for one delivery.</summary>
    public WebhookRoute ToRoute(string kind, string url) => new()
    {
        Kind = kind,
        Url = url,
        Secret = Secret,
        Secrets = Secrets,
        Timeout = Timeout,
        ConnectTimeout = ConnectTimeout,
        BodyReadTimeout = BodyReadTimeout,
    };

    internal string? Validate()
    {
        if (!Enabled)
        {
            return null;
        }

        var route = ToRoute("", "");
        return route.ValidateSecrets("Webhooks:JobUrls") ?? route.ValidateTimeouts("Webhooks:JobUrls");
    }
}
