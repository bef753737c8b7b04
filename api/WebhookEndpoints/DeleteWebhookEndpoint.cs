using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Storage;

namespace JobQueue.Api.WebhookEndpoints;

public sealed class DeleteWebhookEndpoint(WebhookEndpointStore store, ILogger<DeleteWebhookEndpoint> logger)
    : Endpoint<EndpointIdRequest>
{
    public override void Configure()
    {
        Delete("/v1/endpoints/{id}");
        AllowAnonymous();
        RequestBinder(new RequestBinder<EndpointIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("deleteEndpoint")
                .Accepts<EndpointIdRequest>("*/*")
                .Produces(StatusCodes.Status204NoContent)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Delete a webhook endpoint";
            summary.Description = "Jobs of its kinds that wait lose its limits. Until another route or endpoint " +
                "serves the kinds, their attempts fail with no_handler and are retried.";
            summary.Responses[204] = "The endpoint was deleted.";
            summary.Responses[400] = "The id is not a 64-bit signed integer.";
            summary.Responses[404] = "No endpoint has this id.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; nothing was changed.";
        });
    }

    public override async Task HandleAsync(EndpointIdRequest req, CancellationToken ct)
    {
        if (!await store.DeleteAsync(req.Id, ct))
        {
            await Send.ResultAsync(EndpointProblems.NotFound(HttpContext, req.Id).ToResult());
            return;
        }

        EndpointLog.Deleted(logger, req.Id);
        await Send.NoContentAsync(ct);
    }
}
