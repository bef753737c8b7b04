using System.Net;
using JobQueue.Engine.Options;
using JobQueue.Engine.Webhooks;

namespace JobQueue.Api.Jobs;

/// <summary>
/// Checks the URLs that requests name as delivery targets: a job's <c>webhook_url</c> and
/// <c>callback_url</c>, and an endpoint's <c>url</c>. Read from the <c>Webhooks</c> section,
/// which the workers read too, so both sides apply the same rules. Names that resolve to internal
/// addresses are caught by the workers' connect-time check; here only literal addresses and
/// <c>localhost</c> can be judged.
/// </summary>
public sealed class JobUrlPolicy
{
    /// <summary>Longest URL accepted, in characters.</summary>
    public const int MaxUrlLength = 2048;

    private readonly DestinationGuard _guard;

    public JobUrlPolicy(bool jobUrlsEnabled, bool allowHttp, IEnumerable<IPNetwork> allowedNetworks)
    {
        JobUrlsEnabled = jobUrlsEnabled;
        AllowHttp = allowHttp;
        _guard = new DestinationGuard(allowedNetworks);
    }

    /// <summary>A policy that accepts no per-job URLs and https only, for code that builds options by hand.</summary>
    public static JobUrlPolicy Default { get; } = new(false, false, []);

    /// <summary>Whether jobs may name their own URLs (<c>Webhooks:JobUrls:Enabled</c>).</summary>
    public bool JobUrlsEnabled { get; }

    /// <summary>Whether plain http is accepted (<c>Webhooks:AllowHttp</c>).</summary>
    public bool AllowHttp { get; }

    /// <summary>Reads the policy from the <c>Webhooks</c> section; invalid networks are left out (the worker rejects them at start-up).</summary>
    public static JobUrlPolicy From(IConfiguration configuration)
    {
        var options = configuration.GetSection(WebhookOptions.SectionName).Get<WebhookOptions>() ?? new WebhookOptions();
        var networks = options.AllowedNetworks
            .Select(text => IPNetwork.TryParse(text, out var network) ? network : (IPNetwork?)null)
            .OfType<IPNetwork>();
        return new JobUrlPolicy(options.JobUrls.Enabled, options.AllowHttp, networks);
    }

    /// <summary>Returns why a job may not name <paramref name="url"/> in <paramref name="field"/>, or null when it may.</summary>
    public string? CheckJobUrl(string url, string field) => JobUrlsEnabled
        ? CheckUrl(url, field)
        : $"{field} is not accepted: this server does not deliver to per-job URLs. The setting Webhooks:JobUrls:Enabled turns them on.";

    /// <summary>Returns why <paramref name="url"/> is not a valid delivery target, or null when it is.</summary>
    public string? CheckUrl(string url, string field)
    {
        if (url.Length is 0 or > MaxUrlLength)
        {
            return $"{field} must be 1 to {MaxUrlLength} characters.";
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme is not ("https" or "http"))
        {
            return $"{field} must be an absolute https URL, such as https://example.com/hooks.";
        }

        if (parsed.Scheme == "http" && !AllowHttp)
        {
            return $"{field} must use https; this server accepts http only with the setting Webhooks:AllowHttp.";
        }

        if (parsed.UserInfo.Length > 0)
        {
            return $"{field} must not contain a user name or password; send credentials in a header instead.";
        }

        var host = parsed.IdnHost.Trim('[', ']');
        var address = IPAddress.TryParse(host, out var literal) ? literal
            : host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
                ? IPAddress.Loopback
                : null;
        if (address is not null && !_guard.IsAllowed(address))
        {
            return $"{field} points at an internal address ({host}), which deliveries may not reach. " +
                "The setting Webhooks:AllowedNetworks allows trusted internal networks.";
        }

        return null;
    }
}
