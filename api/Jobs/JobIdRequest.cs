namespace JobQueue.Api.Jobs;

/// <summary>Route values of the endpoints under <c>/v1/jobs/{id}</c>.</summary>
public sealed class JobIdRequest
{
    /// <summary>Job id, as returned by enqueue.</summary>
    public long Id { get; set; }
}
