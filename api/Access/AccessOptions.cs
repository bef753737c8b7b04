using Microsoft.Extensions.Options;

namespace JobQueue.Api.Access;

/// <summary>How requests are authenticated, bound from the <c>Api:Auth</c> configuration section.</summary>
public sealed class AccessOptions
{
    public const string SectionName = "Api:Auth";

    public static readonly TimeSpan KeyCacheDurationDefault = TimeSpan.FromSeconds(10);
    public const int RequestsPerSecondDefault = 100;
    public const int BurstDefault = 200;

    /// <summary>
    /// <c>keys</c> (the default): every request outside <c>/healthz</c>, <c>/metrics</c>,
    /// <c>/swagger</c>, <c>/openapi</c> and the dashboard's static files needs an API key. <c>none</c>: no keys, for development only; the host
    /// does not start in this mode unless every URL it binds is loopback.
    /// </summary>
    public AccessMode Mode { get; set; } = AccessMode.Keys;

    /// <summary>
    /// How long an API process keeps a key it has read from the database. A key revoked through
    /// another process keeps working here for at most this long; the process that revoked it stops
    /// accepting it at once. Default 10 seconds, range 0 (read on every request) to 5 minutes.
    /// </summary>
    public TimeSpan KeyCacheDuration { get; set; } = KeyCacheDurationDefault;

    /// <summary>
    /// Requests per second one key may send to one API process, for keys without a limit of their
    /// own; 0 turns the limit off. Default 100.
    /// </summary>
    public int RequestsPerSecond { get; set; } = RequestsPerSecondDefault;

    /// <summary>
    /// Requests a key may send at once above its rate, after a quiet spell (the token bucket's size).
    /// Default 200; a key with a limit of its own gets twice that limit.
    /// </summary>
    public int Burst { get; set; } = BurstDefault;
}

/// <summary>Settings of the audit log, bound from the <c>Api:Audit</c> configuration section.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Api:Audit";

    public static readonly TimeSpan RetentionDefault = TimeSpan.FromDays(90);
    public const int MaxFailedAuthenticationEntriesPerMinuteDefault = 60;

    /// <summary>How long audit entries are kept. Default 90 days, range one hour to ten years.</summary>
    public TimeSpan Retention { get; set; } = RetentionDefault;

    /// <summary>
    /// Entries for failed authentication that one API process writes per minute at most; further
    /// failures in the same minute are only counted in a log line, so a flood of bad keys cannot
    /// fill the table. Default 60; 0 records none.
    /// </summary>
    public int MaxFailedAuthenticationEntriesPerMinute { get; set; } = MaxFailedAuthenticationEntriesPerMinuteDefault;
}

/// <summary>See <see cref="AccessOptions.Mode"/>.</summary>
public enum AccessMode
{
    Keys,
    None,
}

/// <summary>Checks <see cref="AccessOptions"/> and <see cref="AuditOptions"/> at start-up, naming each bad setting.</summary>
public sealed class AccessOptionsValidator : IValidateOptions<AccessOptions>, IValidateOptions<AuditOptions>
{
    public ValidateOptionsResult Validate(string? name, AccessOptions options)
    {
        var failures = new List<string>();
        const string Prefix = AccessOptions.SectionName + ":";
        if (options.KeyCacheDuration < TimeSpan.Zero || options.KeyCacheDuration > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{Prefix}KeyCacheDuration is {options.KeyCacheDuration}; it must be between 00:00:00 and 00:05:00.");
        }

        if (options.RequestsPerSecond < 0)
        {
            failures.Add($"{Prefix}RequestsPerSecond is {options.RequestsPerSecond}; it must be 0 (no limit) or more.");
        }

        if (options.Burst < 1)
        {
            failures.Add($"{Prefix}Burst is {options.Burst}; it must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, AuditOptions options)
    {
        var failures = new List<string>();
        const string Prefix = AuditOptions.SectionName + ":";
        if (options.Retention < TimeSpan.FromHours(1) || options.Retention > TimeSpan.FromDays(3660))
        {
            failures.Add($"{Prefix}Retention is {options.Retention}; it must be between 01:00:00 and 3660.00:00:00.");
        }

        if (options.MaxFailedAuthenticationEntriesPerMinute < 0)
        {
            failures.Add($"{Prefix}MaxFailedAuthenticationEntriesPerMinute is " +
                $"{options.MaxFailedAuthenticationEntriesPerMinute}; it must be 0 or more.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
