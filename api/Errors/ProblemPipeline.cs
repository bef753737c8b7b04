using JobQueue.Contracts;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace JobQueue.Api.Errors;

/// <summary>
/// Middleware that makes every non-2xx response <c>application/problem+json</c>, including the
/// bodiless ones that routing produces (404, 405, 415) and oversized bodies (413).
/// </summary>
internal static class ProblemPipeline
{
    /// <summary>Adds the middleware that must run before routing.</summary>
    public static void UseProblemResponses(this WebApplication app)
    {
        app.UseMiddleware<ProblemMiddleware>();
        app.UseStatusCodePages(context => WriteStatusProblemAsync(context.HttpContext));
        app.Use(RejectOversizedBodyAsync);
        app.Use(RejectRepeatedQueryParametersAsync);
    }

    /// <summary>Adds the middleware that needs the matched endpoint, so it must run after routing.</summary>
    public static void UseContentTypeCheck(this WebApplication app) => app.Use(RejectMissingContentTypeAsync);

    private static Task WriteStatusProblemAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var detail = status switch
        {
            StatusCodes.Status404NotFound => $"No route matches {context.Request.Path}. The API's routes are listed at /openapi/v1.json.",
            StatusCodes.Status405MethodNotAllowed =>
                $"{context.Request.Method} is not allowed on {context.Request.Path}; the Allow header lists the methods that are.",
            StatusCodes.Status415UnsupportedMediaType => "The request body must be JSON, sent with Content-Type: application/json.",
            StatusCodes.Status413PayloadTooLarge => ProblemMiddleware.TooLarge(context).Detail!,
            _ => "The request failed with status " + status + ".",
        };
        return ProblemMiddleware.WriteAsync(context, ApiProblem.Create(context, status, ApiProblem.TypeOf(status), detail));
    }

    // Kestrel enforces Api:MaxRequestBodyBytes while the body is read (a BadHttpRequestException
    // that ProblemMiddleware maps to 413). This check rejects early when Content-Length exceeds
    // the limit, and also covers servers without that limit, such as the in-memory test server.
    private static Task RejectOversizedBodyAsync(HttpContext context, RequestDelegate next)
    {
        var limit = context.RequestServices.GetRequiredService<IOptions<ApiOptions>>().Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            return ProblemMiddleware.WriteAsync(context, ProblemMiddleware.TooLarge(context));
        }

        return next(context);
    }

    // No API parameter takes several values, and binding keeps only one of a repeated parameter,
    // so '?queue=a&queue=b' would silently filter on one of them. It gets a 400 naming it instead.
    private static Task RejectRepeatedQueryParametersAsync(HttpContext context, RequestDelegate next)
    {
        if (!context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase))
        {
            return next(context);
        }

        var repeated = context.Request.Query.Where(parameter => parameter.Value.Count > 1).Select(parameter => parameter.Key).ToList();
        if (repeated.Count == 0)
        {
            return next(context);
        }

        var errors = repeated.ToDictionary(
            name => name, name => new[] { $"{name} may appear once in the query string; it appears more than once." }, StringComparer.Ordinal);
        return ProblemMiddleware.WriteAsync(context, ApiProblem.Create(context, StatusCodes.Status400BadRequest,
            ProblemTypes.ValidationFailed, $"The query string repeats: {string.Join(", ", repeated)}. See 'errors' for each.", errors));
    }

    // Routing returns 415 for a wrong Content-Type, but a request with none reaches FastEndpoints,
    // which returns 415 with an empty body. This check writes the problem body first.
    private static Task RejectMissingContentTypeAsync(HttpContext context, RequestDelegate next)
    {
        var accepts = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>();
        if (accepts is not null
            && !context.Request.Headers.ContainsKey(HeaderNames.ContentType)
            && !accepts.ContentTypes.Contains("*/*"))
        {
            var problem = ApiProblem.Create(context, StatusCodes.Status415UnsupportedMediaType, ProblemTypes.UnsupportedMediaType,
                "The request has no Content-Type; send the body as JSON with Content-Type: application/json.");
            return ProblemMiddleware.WriteAsync(context, problem);
        }

        return next(context);
    }
}
