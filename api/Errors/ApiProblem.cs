using System.Diagnostics;
using System.Text.Json.Serialization;
using FluentValidation.Results;
using JobQueue.Contracts;
using Microsoft.AspNetCore.WebUtilities;

namespace JobQueue.Api.Errors;

/// <summary>Body of every non-2xx response, as RFC 9457 <c>application/problem+json</c>.</summary>
public sealed record ApiProblem
{
    public const string ContentType = "application/problem+json";

    /// <summary>Stable problem type, one of the <c>urn:jobqueue:problem:*</c> values; branch on this.</summary>
    [JsonPropertyName("type")]
    public string Type { get; init; } = ProblemTypes.Internal;

    /// <summary>Short summary of the problem type.</summary>
    [JsonPropertyName("title")]
    public string Title { get; init; } = "";

    /// <summary>HTTP status code.</summary>
    [JsonPropertyName("status")]
    public int Status { get; init; }

    /// <summary>What went wrong with this request and what to change.</summary>
    [JsonPropertyName("detail")]
    public string? Detail { get; init; }

    /// <summary>Path of the request.</summary>
    [JsonPropertyName("instance")]
    public string? Instance { get; init; }

    /// <summary>
    /// Messages by field, named as on the wire (<c>kind</c>, <c>jobs[2].args.a[0]</c>, <c>page_token</c>);
    /// present on 400 responses.
    /// </summary>
    [JsonPropertyName("errors")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    /// <summary>W3C trace id of the request, to find its log lines.</summary>
    [JsonPropertyName("trace_id")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceId { get; init; }

    public static ApiProblem Create(HttpContext context, int status, string type, string detail,
        IReadOnlyDictionary<string, string[]>? errors = null) => new()
        {
            Type = type,
            Title = TitleOf(status),
            Status = status,
            Detail = detail,
            Instance = context.Request.Path.Value,
            Errors = errors,
            TraceId = Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier,
        };

    /// <summary>Builds the 400 for FluentValidation and binding failures, grouping messages by field.</summary>
    public static ApiProblem FromValidationFailures(HttpContext context, IEnumerable<ValidationFailure> failures)
    {
        var errors = failures
            .GroupBy(failure => failure.PropertyName, StringComparer.Ordinal)
            .ToDictionary(
                group => group.Key,
                group => group.Select(failure => failure.ErrorMessage).Distinct(StringComparer.Ordinal).ToArray(),
                StringComparer.Ordinal);
        var fields = string.Join(", ", errors.Keys);
        return Create(context, StatusCodes.Status400BadRequest, ProblemTypes.ValidationFailed,
            $"The request has invalid fields: {fields}. See 'errors' for each field.", errors);
    }

    /// <summary>Maps a status code to its problem type, for responses that carry no body of their own.</summary>
    public static string TypeOf(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ProblemTypes.MalformedRequest,
        StatusCodes.Status401Unauthorized => ProblemTypes.Unauthorized,
        StatusCodes.Status403Forbidden => ProblemTypes.Forbidden,
        StatusCodes.Status404NotFound => ProblemTypes.NotFound,
        StatusCodes.Status405MethodNotAllowed => ProblemTypes.MethodNotAllowed,
        StatusCodes.Status409Conflict => ProblemTypes.InvalidState,
        StatusCodes.Status413PayloadTooLarge => ProblemTypes.PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => ProblemTypes.UnsupportedMediaType,
        StatusCodes.Status429TooManyRequests => ProblemTypes.RateLimited,
        StatusCodes.Status503ServiceUnavailable => ProblemTypes.Unavailable,
        _ => ProblemTypes.Internal,
    };

    private static string TitleOf(int status) =>
        ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error";
}

/// <summary>Sends an <see cref="ApiProblem"/> from an endpoint.</summary>
internal static class ApiProblemResults
{
    public static IResult ToResult(this ApiProblem problem) =>
        TypedResults.Json(problem, options: null, contentType: ApiProblem.ContentType, statusCode: problem.Status);

    public static ApiProblem JobNotFound(HttpContext context, long id) => ApiProblem.Create(
        context, StatusCodes.Status404NotFound, Contracts.ProblemTypes.NotFound, $"No job has id {id}.");
}
