using JobQueue.Api.Access;
using NJsonSchema;
using NSwag;
using NSwag.Generation.Processors;
using NSwag.Generation.Processors.Contexts;

namespace JobQueue.Api.OpenApi;

/// <summary>
/// Describes API key authentication: a bearer security scheme required by every operation that
/// <see cref="RouteScopes"/> does not make public, and the 401, 403 and 429 responses of those
/// operations. It runs over the whole document, so endpoints need nothing of their own.
/// </summary>
internal sealed class SecurityDocumentProcessor : IDocumentProcessor
{
    public const string SchemeName = "apiKey";

    public void Process(DocumentProcessorContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var document = context.Document;
        document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
        {
            Type = OpenApiSecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "jq_<id>_<secret>",
            Description =
                "An API key, sent as 'Authorization: Bearer jq_...'. Scopes: read (every GET), enqueue (POST /v1/jobs, " +
                "POST /v1/jobs/batch, POST /v1/batches) and admin (everything else; includes the other scopes).",
        };

        var problem = document.Components.Schemas.TryGetValue("ProblemDetails", out var named) ? named
            : document.Components.Schemas.TryGetValue(nameof(Errors.ApiProblem), out var raw) ? raw
            : null;
        foreach (var (path, item) in document.Paths)
        {
            foreach (var (method, operation) in item)
            {
                var scope = RouteScopes.Required(method.ToUpperInvariant(), new PathString(path));
                if (scope is null)
                {
                    continue;
                }

                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [SchemeName] = [] });
                AddResponse(operation, "401", "No API key, or a malformed, unknown, revoked or expired one.", problem);
                AddResponse(operation, "403", $"The API key lacks the '{scope}' scope, or is limited to other queues.", problem);
                AddResponse(operation, "429", "The API key sent more requests than its rate limit; retry after Retry-After.", problem);
            }
        }
    }

    private static void AddResponse(OpenApiOperation operation, string status, string description, JsonSchema? problem)
    {
        if (operation.Responses.ContainsKey(status))
        {
            return;
        }

        var response = new OpenApiResponse { Description = description };
        if (problem is not null)
        {
            response.Content[Errors.ApiProblem.ContentType] = new OpenApiMediaType { Schema = new JsonSchema { Reference = problem } };
        }

        operation.Responses[status] = response;
    }
}
