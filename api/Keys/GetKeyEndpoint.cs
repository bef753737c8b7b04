using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Keys;

public sealed class GetKeyEndpoint(ApiKeyStore store) : Endpoint<KeyIdRequest, ApiKey>
{
    public override void Configure()
    {
        Get("/v1/keys/{id}");
        AllowAnonymous();
        RequestBinder(new RequestBinder<KeyIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("getKey")
                .Accepts<KeyIdRequest>("*/*")
                .Produces<ApiKey>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Get an API key";
            summary.Description = "Returns the key without its secret, revoked or not. Needs the admin scope.";
            summary.Responses[200] = "The key.";
            summary.Responses[400] = "The id is not in the form of a key id.";
            summary.Responses[404] = "No key has this id.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(KeyIdRequest req, CancellationToken ct)
    {
        var stored = await store.GetAsync(req.Id, ct);
        if (stored is null)
        {
            await Send.ResultAsync(KeyNotFound(HttpContext, req.Id).ToResult());
            return;
        }

        await Send.OkAsync(stored.Key, ct);
    }

    internal static ApiProblem KeyNotFound(HttpContext context, string id) => ApiProblem.Create(
        context, StatusCodes.Status404NotFound, ProblemTypes.NotFound, $"No API key has id {id}.");
}
