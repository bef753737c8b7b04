using FastEndpoints;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.WebhookEndpoints;

public sealed class ListWebhookEndpoints(WebhookEndpointStore store) : EndpointWithoutRequest<WebhookEndpointList>
{
    public override void Configure()
    {
        Get("/v1/endpoints");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("listEndpoints")
                .Produces<WebhookEndpointList>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "List webhook endpoints";
            summary.Description = "Every endpoint in id order, disabled ones included. Signing secrets are never listed.";
            summary.Responses[200] = "The endpoints.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(CancellationToken ct)
    {
        var rows = await store.ListAsync(ct);
        await Send.OkAsync(new WebhookEndpointList { Items = rows.Select(WebhookEndpointMapping.ToWire).ToList() }, ct);
    }
}
