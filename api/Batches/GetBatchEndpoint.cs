using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Batches;

/// <summary>Route values of <c>GET /v1/batches/{id}</c>.</summary>
public sealed class GetBatchRequest
{
    /// <summary>Batch id, as returned by createBatch.</summary>
    public long Id { get; set; }
}

public sealed class GetBatchEndpoint(BatchStore store) : Endpoint<GetBatchRequest, Batch>
{
    public override void Configure()
    {
        Get("/v1/batches/{id}");
        AllowAnonymous();
        RequestBinder(new RequestBinder<GetBatchRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("getBatch")
                .Accepts<GetBatchRequest>("*/*")
                .Produces<Batch>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Get a batch";
            summary.Description =
                "Returns the batch with the counts of its jobs by final state, and its callback job once it has finished.";
            summary.Responses[200] = "The batch.";
            summary.Responses[400] = "The id is not an integer in the range of a 64-bit signed integer.";
            summary.Responses[404] = "No batch has this id, or it finished and retention has deleted it with its jobs.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(GetBatchRequest req, CancellationToken ct)
    {
        var batch = await store.GetAsync(req.Id, ct);
        if (batch is null)
        {
            await Send.ResultAsync(ApiProblem.Create(
                HttpContext, StatusCodes.Status404NotFound, ProblemTypes.NotFound, $"No batch has id {req.Id}.").ToResult());
            return;
        }

        await Send.OkAsync(batch, ct);
    }
}
