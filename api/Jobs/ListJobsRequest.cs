using FastEndpoints;

namespace JobQueue.Api.Jobs;

/// <summary>Query parameters of <c>GET /v1/jobs</c>; each filter is optional and they combine with AND.</summary>
/// <remarks>Generated clients take the parameters in this order, so new ones go at the end.</remarks>
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

    /// <summary>Only jobs with an error whose message or reason contains this text, case-insensitive.</summary>
    [QueryParam, BindFrom("error")]
    public string? Error { get; set; }

    /// <summary>Only jobs whose args contain this JSON object, such as {"customer_id":42} (jsonb containment).</summary>
    [QueryParam, BindFrom("args")]
    public string? Args { get; set; }
}
