using System.Text.Json;
using System.Text.Json.Serialization;
using JobQueue.Api.Errors;
using JobQueue.Contracts;

namespace JobQueue.Api.Json;

/// <summary>JSON settings shared by FastEndpoints, ASP.NET Core's own writers and the OpenAPI schema.</summary>
internal static class ApiJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;

        // A JSON null for a non-nullable member such as "kind" is a malformed request, not an empty string.
        options.RespectNullableAnnotations = true;

        // Args (at most 32 levels, checked on enqueue) and results (at most 64, the depth the
        // worker parses) sit a few levels down in a response such as a job page, so the writer
        // needs room above 64. Requests are bounded by the args check and the body size limit.
        options.MaxDepth = 128;

        // Strict reading: "priority": "1" is a wrong type, "Kind" is an unknown field, and a
        // member given twice is rejected instead of the last one silently winning.
        options.NumberHandling = JsonNumberHandling.Strict;
        options.PropertyNameCaseInsensitive = false;
        options.AllowDuplicateProperties = false;
        options.Converters.Add(new OffsetRequiredDateTimeOffsetConverter());
    }

    /// <summary>
    /// Creates the request body reader for FastEndpoints, which turns every JSON error into a
    /// <see cref="RequestRejectedException"/> that names the field where the reader stopped.
    /// </summary>
    public static Func<HttpRequest, Type, JsonSerializerContext?, CancellationToken, ValueTask<object?>> CreateRequestReader(
        JsonSerializerOptions options) =>
        (request, type, _, cancellationToken) => ReadRequestAsync(request, type, options, cancellationToken);

    private static async ValueTask<object?> ReadRequestAsync(
        HttpRequest request, Type type, JsonSerializerOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await request.ReadFromJsonAsync(type, options, cancellationToken);
        }
        catch (OffsetMissingException exception)
        {
            var field = FieldOf(exception.Path) ?? "body";
            throw new RequestRejectedException(StatusCodes.Status400BadRequest, ProblemTypes.ValidationFailed,
                $"The request has invalid fields: {field}. See 'errors' for each field.", field, exception.Message, exception);
        }
        catch (JsonException exception)
        {
            var field = FieldOf(exception.Path);
            var reason = ReasonOf(exception);
            var detail = field is null
                ? "The request body is not valid JSON: " + reason
                : $"The request body has an invalid value at '{field}': {reason}";
            throw new RequestRejectedException(StatusCodes.Status400BadRequest, ProblemTypes.MalformedRequest,
                detail, field, reason, exception);
        }
    }

    /// <summary>Converts a System.Text.Json path such as <c>$.jobs[3].priority</c> to <c>jobs[3].priority</c>.</summary>
    internal static string? FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return null;
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    // The reader's message ends with " Path: $.x | LineNumber: 0 | BytePositionInLine: 9.", which
    // repeats the field; the position is kept because it locates syntax errors.
    private static string ReasonOf(JsonException exception)
    {
        var message = exception.Message;
        var pathStart = message.IndexOf(" Path: ", StringComparison.Ordinal);
        var reason = pathStart < 0 ? message : message[..pathStart];
        if (exception.LineNumber is { } line && exception.BytePositionInLine is { } position)
        {
            reason += $" (line {line + 1}, byte {position + 1})";
        }

        return reason;
    }
}
