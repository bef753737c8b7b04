using FastEndpoints;

namespace JobQueue.Api.Jobs;

/// <summary>Query parameters of <c>GET /v1/jobs</c>; each filter is optional and they combine with AND.</summary>
public sealed class ListJobsRequest
{
    /// <summary>Only jobs of this queue.</summary>
    [QueryParam, BindFrom("queue")]
    public string? Queue { get; set; }

    /// <summary>Only jobs in this state: scheduled, available, running, retryable, completed, cancelled or discarded.</summary>
    [QueryParam, BindFrom("state")]
    public string? State { get; set; }

    /// <summary>Only jobs of this kind.</summary>
    [QueryParam, BindFrom("kind")]
    public string? Kind { get; set; }

    /// <summary>Only jobs carrying this tag.</summary>
    [QueryParam, BindFrom("tag")]
    public string? Tag { get; set; }

    /// <summary>Jobs per page; the server default (50 unless configured) when omitted.</summary>
    [QueryParam, BindFrom("page_size")]
    public int? PageSize { get; set; }

    /// <summary>The next_page_token of the previous page; omit for the first page.</summary>
    [QueryParam, BindFrom("page_token")]
    public string? PageToken { get; set; }
}
