namespace JobQueue.Engine.Options;

/// <summary>Webhook routes by job kind, bound from the <c>Webhooks</c> section.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "Webhooks";

    public const int DefaultMaxResponseBytes = 64 * 1024;

    /// <summary>
    /// Routes, for example <c>Webhooks__Routes__0__Kind=email.send</c>,
    /// <c>Webhooks__Routes__0__Url=https://mailer.internal/jobs</c>,
    /// <c>Webhooks__Routes__0__Secret=whsec_…</c>.
    /// </summary>
    public List<WebhookRoute> Routes { get; set; } = [];

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

    /// <summary>Returns the first invalid setting as a message, or null when all are valid.</summary>
    public string? Validate()
    {
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

            if (!Webhooks.WebhookSigner.TryDecodeSecret(route.Secret, out _))
            {
                return $"{name}:Secret must be 'whsec_' followed by base64 of 24 to 64 random bytes.";
            }

            if (route.Timeout <= TimeSpan.Zero || route.Timeout > TimeSpan.FromHours(1))
            {
                return $"{name}:Timeout must be between 0 and 1 hour; it is {route.Timeout}.";
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

    /// <summary>The job kind delivered to this route.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Absolute http or https URL that receives a POST per attempt.</summary>
    public string Url { get; set; } = "";

    /// <summary>Signing secret, <c>whsec_</c> and base64 of the key bytes. Never logged.</summary>
    public string Secret { get; set; } = "";

    /// <summary>
    /// Time one delivery may take, connect to last byte; a job's own timeout, when shorter, wins.
    /// Default 30 seconds.
    /// </summary>
    public TimeSpan Timeout { get; set; } = DefaultTimeout;

    /// <summary>Extra request headers, for example an API key the receiver expects.</summary>
    public Dictionary<string, string> Headers { get; set; } = [];
}
