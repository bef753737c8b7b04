using FastEndpoints;
using JobQueue.Api.Access;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Keys;

public sealed class CreateKeyEndpoint(ApiKeyStore store, ILogger<CreateKeyEndpoint> logger)
    : Endpoint<CreateApiKeyRequest, CreatedApiKey>
{
    public override void Configure()
    {
        Post("/v1/keys");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("createKey")
                .Accepts<CreateApiKeyRequest>(OpenApiDescriptions.Json)
                .Produces<CreatedApiKey>(StatusCodes.Status201Created, OpenApiDescriptions.Json)
                .ProducesProblems(400, 413, 415, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Create an API key";
            summary.Description =
                "Creates a key with the given scopes (read, enqueue, admin; admin includes the others), optionally " +
                "limited to queues, with an expiry and a rate limit of its own. The response carries the whole key in " +
                "'secret' this once; only a hash of it is stored. Needs the admin scope.";
            summary.Responses[201] = "The key and its secret; the Location header points at the key.";
            summary.Responses[400] = "An invalid field; 'errors' names each.";
            summary.Responses[413] = "The body is larger than Api:MaxRequestBodyBytes.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; no key was created.";
        });
    }

    public override async Task HandleAsync(CreateApiKeyRequest req, CancellationToken ct)
    {
        var caller = ApiCaller.Of(HttpContext);
        var created = await ApiKeyIssuer.CreateAsync(store, req, caller.KeyId, ct);
        AuditMiddleware.SetTarget(HttpContext, "key=" + created.Key.Id);
        ApiLog.KeyCreated(logger, created.Key.Id, created.Key.Name, caller.KeyId ?? "-");
        HttpContext.Response.Headers.Location = "/v1/keys/" + created.Key.Id;
        await Send.ResponseAsync(created, StatusCodes.Status201Created, ct);
    }
}
