using FastEndpoints;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

public sealed class GetJobEndpoint(JobStore store) : Endpoint<JobIdRequest, Job>
{
    public override void Configure()
    {
        Get("/v1/jobs/{id}");
        AllowAnonymous();

        // Only the route value is bound, so a stray body or query string cannot change the id.
        RequestBinder(new RequestBinder<JobIdRequest>(BindingSource.RouteValues));
        Description(
            builder => builder
                .WithName("getJob")

                // Declares the route DTO so the document types the id parameter; "*/*" keeps bodiless
                // requests from being rejected for their Content-Type.
                .Accepts<JobIdRequest>("*/*")
                .Produces<Job>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 404, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Get a job";
            summary.Description = "Returns the job with its attempts and errors so far.";
            summary.Responses[200] = "The job.";
            summary.Responses[400] = "The id is not an integer in the range of a 64-bit signed integer.";
            summary.Responses[404] = "No job has this id.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(JobIdRequest req, CancellationToken ct)
    {
        var job = await store.GetAsync(req.Id, ct);
        if (job is null)
        {
            await Send.ResultAsync(ApiProblemResults.JobNotFound(HttpContext, req.Id).ToResult());
            return;
        }

        await Send.OkAsync(job, ct);
    }
}
