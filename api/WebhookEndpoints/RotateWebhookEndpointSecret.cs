using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.WebhookEndpoints;

public sealed class RotateWebhookEndpointSecret(
    WebhookEndpointStore store, IOptions<ApiOptions> options, ILogger<RotateWebhookEndpointSecret> logger)
    : Endpoint<EndpointIdRequest, WebhookEndpointWithSecret>
{
    public override void Configure()
    {
        Post("/v1/endpoints/{id}/rotate-secret");
        AllowAnonymous();
        RequestBinder(new RequestBinder<EndpointIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("rotateEndpointSecret")
                .Accepts<EndpointIdRequest>("*/*")
                .Produces<WebhookEndpointWithSecret>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Rotate a webhook endpoint's signing secret";
            summary.Description =
                "Generates a new secret and returns it; no other response shows it. The previous secret stays valid for " +
                "Api:EndpointSecretRotationWindow (24 hours by default): until previous_secret_expires_at, deliveries carry " +
                "two signatures, the new secret's first, so receivers can switch over. A second rotation within the " +
                "window ends the first secret's validity. The request has no body.";
            summary.Responses[200] = "The endpoint with its new secret.";
            summary.Responses[400] = "The id is not a 64-bit signed integer.";
            summary.Responses[404] = "No endpoint has this id.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(EndpointIdRequest req, CancellationToken ct)
    {
        var window = options.Value.EndpointSecretRotationWindow;
        if (await store.RotateSecretAsync(req.Id, WebhookSigner.CreateSecret(), window, ct) is not { } row)
        {
            await Send.ResultAsync(EndpointProblems.NotFound(HttpContext, req.Id).ToResult());
            return;
        }

        EndpointLog.SecretRotated(logger, row.Id, row.PreviousSecretExpiresAt);
        await Send.OkAsync(WebhookEndpointMapping.ToWireWithSecret(row), ct);
    }
}
