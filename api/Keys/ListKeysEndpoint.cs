using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Keys;

public sealed class ListKeysEndpoint(ApiKeyStore store) : EndpointWithoutRequest<ApiKeyList>
{
    public override void Configure()
    {
        Get("/v1/keys");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("listKeys")
                .Produces<ApiKeyList>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "List API keys";
            summary.Description = "Returns every key without its secret, revoked ones included, newest first. Needs the admin scope.";
            summary.Responses[200] = "The keys.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var keys = await store.ListAsync(ct);
        await Send.OkAsync(new ApiKeyList { Keys = keys.Select(stored => stored.Key).ToList() }, ct);
    }
}
