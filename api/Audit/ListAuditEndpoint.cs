using FastEndpoints;
using JobQueue.Api.Jobs;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Audit;

public sealed class ListAuditEndpoint(AuditStore store, IOptions<ApiOptions> options) : Endpoint<ListAuditRequest, AuditPage>
{
    public override void Configure()
    {
        Get("/v1/audit");
        AllowAnonymous();
        RequestBinder(new RequestBinder<ListAuditRequest>(BindingSource.QueryParams));
        Description(
            builder => builder
                .WithName("listAuditEntries")
                .Accepts<ListAuditRequest>("*/*")
                .Produces<AuditPage>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "List audit entries";
            summary.Description =
                "Returns the audit log newest first, one page at a time: requests that need the admin scope and change " +
                "state, rejected requests (401 and 403), and the keys command. Pass next_page_token as page_token for " +
                "the next page. Entries older than Api:Audit:Retention (90 days by default) are deleted. Needs the admin scope.";
            summary.Responses[200] = "One page of entries.";
            summary.Responses[400] = "An invalid key_id, page_size or page_token; 'errors' names the parameter.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(ListAuditRequest req, CancellationToken ct)
    {
        var pageSize = req.PageSize ?? options.Value.DefaultPageSize;
        long? beforeId = req.PageToken is { } token && PageToken.TryDecode(token, out var lastId) ? lastId : null;

        // One row more than the page shows whether another page follows.
        var entries = await store.ListAsync(req.KeyId, beforeId, pageSize + 1, ct);
        var page = entries.Count > pageSize
            ? new AuditPage { Entries = entries.Take(pageSize).ToList(), NextPageToken = PageToken.Encode(entries[pageSize - 1].Id) }
            : new AuditPage { Entries = entries };
        await Send.OkAsync(page, ct);
    }
}
