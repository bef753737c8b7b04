using FastEndpoints;
using JobQueue.Api.Access;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Keys;

public sealed class RevokeKeyEndpoint(ApiKeyStore store, ApiKeyAuthenticator authenticator, ILogger<RevokeKeyEndpoint> logger)
    : Endpoint<KeyIdRequest, ApiKey>
{
    public override void Configure()
    {
        Post("/v1/keys/{id}/revoke");
        AllowAnonymous();
        RequestBinder(new RequestBinder<KeyIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("revokeKey")
                .Accepts<KeyIdRequest>("*/*")
                .Produces<ApiKey>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Revoke an API key";
            summary.Description =
                "The key stops working at once on the API process that serves this request, and on the others within " +
                "Api:Auth:KeyCacheDuration (10 seconds by default). The key stays listed with revoked_at set. Revoking a " +
                "revoked key returns it unchanged. Needs the admin scope; the request has no body.";
            summary.Responses[200] = "The revoked key.";
            summary.Responses[400] = "The id is not in the form of a key id.";
            summary.Responses[404] = "No key has this id.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(KeyIdRequest req, CancellationToken ct)
    {
        var revoked = await store.RevokeAsync(req.Id, ct);
        if (revoked is null)
        {
            await Send.ResultAsync(GetKeyEndpoint.KeyNotFound(HttpContext, req.Id).ToResult());
            return;
        }

        authenticator.Forget(req.Id);
        var revokedBy = ApiCaller.Of(HttpContext).KeyId ?? "-";
        ApiLog.KeyRevoked(logger, revoked.Key.Id, revoked.Key.Name, revokedBy);
        await Send.OkAsync(revoked.Key, ct);
    }
}
