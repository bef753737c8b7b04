using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Engine.Webhooks;
using JobQueue.Storage;

namespace JobQueue.Api.WebhookEndpoints;

public sealed class CreateWebhookEndpoint(WebhookEndpointStore store, ILogger<CreateWebhookEndpoint> logger)
    : Endpoint<WebhookEndpointRequest, WebhookEndpointWithSecret>
{
    public override void Configure()
    {
        Post("/v1/endpoints");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("createEndpoint")
                .Accepts<WebhookEndpointRequest>(OpenApiDescriptions.Json)
                .Produces<WebhookEndpointWithSecret>(StatusCodes.Status201Created, OpenApiDescriptions.Json)
                .ProducesProblems(400, 409, 413, 415, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Create a webhook endpoint";
            summary.Description =
                "Jobs of the listed kinds are delivered to the URL as signed POST requests. The response carries the " +
                "endpoint's signing secret, 'whsec_' and base64 of 32 random bytes; no other response but the rotate " +
                "action's shows it, so store it now. A configured route (Webhooks:Routes) of the same kind takes " +
                "precedence on the workers that have it. Workers pick up the endpoint within Webhooks:EndpointRefreshInterval.";
            summary.Responses[201] = "The stored endpoint with its secret; the Location header points at it.";
            summary.Responses[400] = "An invalid field; 'errors' names each.";
            summary.Responses[409] = "Another endpoint already serves one of the kinds.";
            summary.Responses[413] = "The body is larger than Api:MaxRequestBodyBytes.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was stored.";
        });
    }

    public override async Task HandleAsync(WebhookEndpointRequest req, CancellationToken ct)
    {
        if (WebhookEndpointMapping.UrlProblem(HttpContext, req) is { } problem)
        {
            ThrowError(new FluentValidation.Results.ValidationFailure("url", problem));
        }

        var change = await store.CreateAsync(WebhookEndpointMapping.ToSettings(req), WebhookSigner.CreateSecret(), ct);
        if (change.Endpoint is not { } created)
        {
            await Send.ResultAsync(EndpointProblems.KindTaken(HttpContext, change.Conflict!).ToResult());
            return;
        }

        EndpointLog.Created(logger, created.Id, created.Kinds);
        HttpContext.Response.Headers.Location = WebhookEndpointMapping.Path(created.Id);
        await Send.ResponseAsync(WebhookEndpointMapping.ToWireWithSecret(created), StatusCodes.Status201Created, ct);
    }
}
