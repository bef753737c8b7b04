using JobQueue.Api.Errors;

namespace JobQueue.Api.OpenApi;

/// <summary>Shorthands for the response metadata each endpoint declares in the OpenAPI document.</summary>
internal static class OpenApiDescriptions
{
    public const string Json = "application/json";

    /// <summary>Declares a <c>ProblemDetails</c> response for each status code.</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder builder, params int[] statusCodes)
    {
        foreach (var statusCode in statusCodes)
        {
            builder.Produces<ApiProblem>(statusCode, ApiProblem.ContentType);
        }

        return builder;
    }
}
