using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.WebhookEndpoints;

public sealed class GetWebhookEndpoint(WebhookEndpointStore store) : Endpoint<EndpointIdRequest, WebhookEndpoint>
{
    public override void Configure()
    {
        Get("/v1/endpoints/{id}");
        AllowAnonymous();
        RequestBinder(new RequestBinder<EndpointIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("getEndpoint")
                .Accepts<EndpointIdRequest>("*/*")
                .Produces<WebhookEndpoint>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Get a webhook endpoint";
            summary.Description = "The endpoint's settings and whether it is enabled, with the reason and time of a disable. " +
                "The signing secret is not included.";
            summary.Responses[200] = "The endpoint.";
            summary.Responses[400] = "The id is not a 64-bit signed integer.";
            summary.Responses[404] = "No endpoint has this id.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(EndpointIdRequest req, CancellationToken ct)
    {
        if (await store.GetAsync(req.Id, ct) is not { } row)
        {
            await Send.ResultAsync(EndpointProblems.NotFound(HttpContext, req.Id).ToResult());
            return;
        }

        await Send.OkAsync(WebhookEndpointMapping.ToWire(row), ct);
    }
}
