using JobQueue.Api.Errors;
using JobQueue.Contracts;

namespace JobQueue.Api.Jobs;

/// <summary>The <c>Idempotency-Key</c> request header and the header that marks a replayed response.</summary>
internal static class IdempotencyKeyHeader
{
    public const string Name = "Idempotency-Key";

    /// <summary>Response header sent, with the value <c>true</c>, on a response replayed from an earlier request.</summary>
    public const string ReplayedName = "Idempotent-Replayed";

    public const int MaxLength = 255;

    /// <summary>
    /// Returns the key, or null when the request has none. A header sent more than once, or a
    /// value that is not 1 to 255 visible ASCII characters (<c>!</c> to <c>~</c>), is rejected with a
    /// 400 naming the header.
    /// </summary>
    public static string? Read(HttpRequest request)
    {
        if (!request.Headers.TryGetValue(Name, out var values))
        {
            return null;
        }

        if (values.Count != 1)
        {
            throw Invalid($"{Name} must be sent once; the request has {values.Count} values.");
        }

        var key = values[0] ?? "";
        if (key.Length is 0 or > MaxLength || !key.All(c => c is >= '!' and <= '~'))
        {
            throw Invalid($"{Name} must be 1 to {MaxLength} visible ASCII characters (! to ~, no spaces), " +
                "such as a UUID.");
        }

        return key;
    }

    private static RequestRejectedException Invalid(string message) => new(
        StatusCodes.Status400BadRequest, ProblemTypes.ValidationFailed,
        $"The request has invalid fields: {Name}. See 'errors' for each field.", Name, message, innerException: null);
}
