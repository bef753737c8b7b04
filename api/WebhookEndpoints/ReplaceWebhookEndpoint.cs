using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.WebhookEndpoints;

public sealed class ReplaceWebhookEndpoint(WebhookEndpointStore store, ILogger<ReplaceWebhookEndpoint> logger)
    : Endpoint<WebhookEndpointRequest, WebhookEndpoint>
{
    public override void Configure()
    {
        Put("/v1/endpoints/{id}");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("replaceEndpoint")
                .Accepts<WebhookEndpointRequest>(OpenApiDescriptions.Json)
                .Produces<WebhookEndpoint>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 409, 413, 415, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Replace a webhook endpoint";
            summary.Description =
                "Replaces every setting; omitted members take their defaults. The signing secret is kept (rotate it with " +
                "the rotate-secret action). \"enabled\": true enables a disabled endpoint and clears its disabled_reason. " +
                "Jobs of its kinds that wait get its new limits at once; workers use the new settings within " +
                "Webhooks:EndpointRefreshInterval.";
            summary.Responses[200] = "The endpoint after the change.";
            summary.Responses[400] = "The id or a field is invalid; 'errors' names each.";
            summary.Responses[404] = "No endpoint has this id.";
            summary.Responses[409] = "Another endpoint already serves one of the kinds.";
            summary.Responses[413] = "The body is larger than Api:MaxRequestBodyBytes.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(WebhookEndpointRequest req, CancellationToken ct)
    {
        if (WebhookEndpointMapping.UrlProblem(HttpContext, req) is { } problem)
        {
            ThrowError(new FluentValidation.Results.ValidationFailure("url", problem));
        }

        var id = Route<long>("id", isRequired: true);
        var change = await store.ReplaceAsync(id, WebhookEndpointMapping.ToSettings(req), ct);
        if (change.Conflict is { } conflict)
        {
            await Send.ResultAsync(EndpointProblems.KindTaken(HttpContext, conflict).ToResult());
            return;
        }

        if (change.Endpoint is not { } replaced)
        {
            await Send.ResultAsync(EndpointProblems.NotFound(HttpContext, id).ToResult());
            return;
        }

        EndpointLog.Replaced(logger, replaced.Id, replaced.Enabled);
        await Send.OkAsync(WebhookEndpointMapping.ToWire(replaced), ct);
    }
}
