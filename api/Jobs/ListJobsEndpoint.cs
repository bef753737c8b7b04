using FastEndpoints;
using JobQueue.Api.Access;
using JobQueue.Api.Errors;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Jobs;

public sealed class ListJobsEndpoint(JobStore store, IOptions<ApiOptions> options) : Endpoint<ListJobsRequest, JobPage>
{
    public override void Configure()
    {
        Get("/v1/jobs");
        AllowAnonymous();
        Options(builder => builder.WithMetadata(QueueLimitsEnforced.Instance));
        RequestBinder(new RequestBinder<ListJobsRequest>(BindingSource.QueryParams));
        Description(
            builder => builder
                .WithName("listJobs")

                // Declares the query DTO so the document lists its parameters.
                .Accepts<ListJobsRequest>("*/*")
                .Produces<JobPage>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "List jobs";
            summary.Description =
                "Returns jobs newest first, one page at a time. Pass next_page_token as page_token to get the next " +
                "page; it is absent on the last page. Jobs enqueued meanwhile appear only on a new first page. error " +
                "matches the message or reason of any of a job's errors; args matches jobs whose args contain the " +
                "given JSON object.";
            summary.Responses[200] = "One page of jobs.";
            summary.Responses[400] = "An invalid filter, page_size or page_token; 'errors' names the parameter.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(ListJobsRequest req, CancellationToken ct)
    {
        var pageSize = req.PageSize ?? options.Value.DefaultPageSize;
        long? beforeId = req.PageToken is { } token && PageToken.TryDecode(token, out var lastId) ? lastId : null;
        if (req.Queue is not null && QueueAccess.Reject(HttpContext, [req.Queue]) is { } forbidden)
        {
            await Send.ResultAsync(forbidden.ToResult());
            return;
        }

        // A queue-limited key without a queue filter sees the jobs of its queues only.
        var filter = new JobFilter(req.Queue, req.State, req.Kind, req.Tag, req.Error, req.Args) { AllowedQueues = ApiCaller.Of(HttpContext).Queues };

        // Reading one row more than the page shows whether another page follows, without a count query.
        var jobs = await store.ListAsync(filter, beforeId, pageSize + 1, ct);
        var page = jobs.Count > pageSize
            ? new JobPage { Jobs = jobs.Take(pageSize).ToList(), NextPageToken = PageToken.Encode(jobs[pageSize - 1].Id) }
            : new JobPage { Jobs = jobs };
        await Send.OkAsync(page, ct);
    }
}
