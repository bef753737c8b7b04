using FastEndpoints;
using FluentValidation;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

/// <summary>Query parameters of <c>GET /v1/jobs/count</c>: the list filters and an optional action.</summary>
public sealed class CountJobsRequest
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

    /// <summary>Only jobs with an error whose message or reason contains this text, case-insensitive.</summary>
    [QueryParam, BindFrom("error")]
    public string? Error { get; set; }

    /// <summary>Only jobs whose args contain this JSON object, such as {"customer_id":42} (jsonb containment).</summary>
    [QueryParam, BindFrom("args")]
    public string? Args { get; set; }

    /// <summary>Count only the jobs this action would change: cancel, discard, retry or run.</summary>
    [QueryParam, BindFrom("action")]
    public string? Action { get; set; }
}

public sealed class CountJobsValidator : Validator<CountJobsRequest>
{
    public CountJobsValidator()
    {
        RuleFor(request => request.Queue)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("queue")
            .WithMessage("queue must not contain control characters or unpaired surrogates.");

        RuleFor(request => request.State)
            .Must(state => state is null || JobStates.TryParse(state, out _))
            .OverridePropertyName("state")
            .WithMessage($"state must be one of: {string.Join(", ", JobStates.Names)}.");

        RuleFor(request => request.Kind)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("kind")
            .WithMessage("kind must not contain control characters or unpaired surrogates.");

        RuleFor(request => request.Tag)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("tag")
            .WithMessage("tag must not contain control characters or unpaired surrogates.");

        RuleFor(request => request.Error)
            .Must(JobFilterRules.IsValidErrorText).OverridePropertyName("error")
            .WithMessage(JobFilterRules.ErrorTextMessage);

        RuleFor(request => request.Args)
            .Must(args => args is null || JobFilterRules.ArgsProblem(args) is null).OverridePropertyName("args")
            .WithMessage(request => JobFilterRules.ArgsProblem(request.Args!) ?? "");
        RuleFor(request => request.Action)
            .Must(action => action is null || JobActions.TryParse(action, out _))
            .OverridePropertyName("action")
            .WithMessage("action must be one of: cancel, discard, retry, run.");
    }
}

public sealed class CountJobsEndpoint(JobStore store) : Endpoint<CountJobsRequest, JobCount>
{
    public override void Configure()
    {
        Get("/v1/jobs/count");
        AllowAnonymous();
        RequestBinder(new RequestBinder<CountJobsRequest>(BindingSource.QueryParams));
        Description(
            builder => builder
                .WithName("countJobs")
                .Accepts<CountJobsRequest>("*/*")
                .Produces<JobCount>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Count jobs";
            summary.Description =
                "Counts the jobs that match the same filters as the list and, with action, only those the bulk " +
                "action would change. Pass the returned max_id to POST /v1/jobs/bulk so that jobs enqueued after " +
                "the count are left alone. The count reads every matching row, so it takes longer on large matches.";
            summary.Responses[200] = "The count and the highest matching id.";
            summary.Responses[400] = "An invalid filter or action; 'errors' names the parameter.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable.";
        });
    }

    public override async Task HandleAsync(CountJobsRequest req, CancellationToken ct)
    {
        JobAction? action = req.Action is { } name && JobActions.TryParse(name, out var parsed) ? parsed : null;
        var filter = new JobFilter(req.Queue, req.State, req.Kind, req.Tag, req.Error, req.Args);
        var (count, maxId) = await store.CountAsync(filter, action, ct);
        await Send.OkAsync(new JobCount { Count = count, MaxId = maxId }, ct);
    }
}

/// <summary>Wire names of the job actions.</summary>
public static class JobActions
{
    public static bool TryParse(string name, out JobAction action)
    {
        (var known, action) = name switch
        {
            "cancel" => (true, JobAction.Cancel),
            "discard" => (true, JobAction.Discard),
            "retry" => (true, JobAction.Retry),
            "run" => (true, JobAction.Run),
            _ => (false, JobAction.Cancel),
        };
        return known;
    }

    public static JobAction FromContract(JobActionName name) => name switch
    {
        JobActionName.Cancel => JobAction.Cancel,
        JobActionName.Discard => JobAction.Discard,
        JobActionName.Retry => JobAction.Retry,
        JobActionName.Run => JobAction.Run,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown job action."),
    };
}
