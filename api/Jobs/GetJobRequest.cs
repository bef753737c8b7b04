using System.Globalization;
using System.Text.RegularExpressions;
using FastEndpoints;
using FluentValidation;

namespace JobQueue.Api.Jobs;

/// <summary>Route and query values of <c>GET /v1/jobs/{id}</c>.</summary>
public sealed class GetJobRequest
{
    /// <summary>Job id, as returned by enqueue.</summary>
    public long Id { get; set; }

    /// <summary>Long-poll: wait up to this long for a final state; 30 or 30s (seconds) or 500ms, at most 60 seconds.</summary>
    [QueryParam, BindFrom("wait")]
    public string? Wait { get; set; }
}

public sealed partial class GetJobValidator : Validator<GetJobRequest>
{
    /// <summary>Longest <c>wait</c> a request may ask for.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    public GetJobValidator()
    {
        RuleFor(request => request.Wait)
            .Must(wait => wait is null || TryParseWait(wait, out _))
            .OverridePropertyName("wait")
            .WithMessage($"wait must be a duration of at most {MaxWait.TotalSeconds} seconds, written as seconds " +
                "(30 or 30s) or milliseconds (500ms).");
    }

    /// <summary>Parses <c>N</c>, <c>Ns</c> or <c>Nms</c>, with N a non-negative integer, up to <see cref="MaxWait"/>.</summary>
    public static bool TryParseWait(string text, out TimeSpan wait)
    {
        wait = TimeSpan.Zero;
        var match = WaitPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        var amount = long.Parse(match.Groups["amount"].Value, CultureInfo.InvariantCulture);
        wait = match.Groups["unit"].Value == "ms" ? TimeSpan.FromMilliseconds(amount) : TimeSpan.FromSeconds(amount);
        return wait <= MaxWait;
    }

    // At most 9 digits, so the number always fits a long before the range check. \z rather
    // than $, which in .NET also matches before a final line feed.
    [GeneratedRegex("^(?<amount>[0-9]{1,9})(?<unit>s|ms)?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex WaitPattern();
}
