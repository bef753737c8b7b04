using System.Diagnostics;
using System.Text.Json;

namespace JobQueue.Storage.Telemetry;

/// <summary>
/// The W3C trace context of an activity as stored with a job: a JSON object with the
/// <c>traceparent</c> and, when set, <c>tracestate</c> fields. Baggage is not stored, because it
/// may carry application data that has no place in the jobs table.
/// </summary>
public static class TraceContext
{
    private const string TraceParent = "traceparent";
    private const string TraceState = "tracestate";

    /// <summary>Returns the stored form of <paramref name="activity"/>'s context, or null without a W3C activity.</summary>
    public static string? Capture(Activity? activity)
    {
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C || activity.Id is null)
        {
            return null;
        }

        var carrier = new Dictionary<string, string> { [TraceParent] = activity.Id };
        if (!string.IsNullOrEmpty(activity.TraceStateString))
        {
            carrier[TraceState] = activity.TraceStateString;
        }

        return JsonSerializer.Serialize(carrier);
    }

    /// <summary>Parses a stored context; returns false for null or a value that is not a valid W3C context.</summary>
    public static bool TryParse(string? stored, out ActivityContext context)
    {
        context = default;
        if (string.IsNullOrEmpty(stored))
        {
            return false;
        }

        Dictionary<string, string>? carrier;
        try
        {
            carrier = JsonSerializer.Deserialize<Dictionary<string, string>>(stored);
        }
        catch (JsonException)
        {
            return false;
        }

        return carrier is not null
            && carrier.TryGetValue(TraceParent, out var parent)
            && ActivityContext.TryParse(parent, carrier.GetValueOrDefault(TraceState), isRemote: true, out context);
    }
}
