using FastEndpoints;
using FluentValidation;
using JobQueue.Api.OpenApi;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Jobs;

public sealed class BulkJobsValidator : Validator<BulkJobActionRequest>
{
    public BulkJobsValidator()
    {
        RuleFor(request => request.Action)
            .NotNull()
            .OverridePropertyName("action")
            .WithMessage("action must be one of: cancel, discard, retry, run.");

        RuleFor(request => request.Filter)
            .NotNull()
            .OverridePropertyName("filter")
            .WithMessage("filter is required; {} matches every job the action can change.");

        RuleFor(request => request.Filter.Queue)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("filter.queue")
            .WithMessage("filter.queue must not contain control characters or unpaired surrogates.")
            .When(request => request.Filter is not null);

        RuleFor(request => request.Filter.Kind)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("filter.kind")
            .WithMessage("filter.kind must not contain control characters or unpaired surrogates.")
            .When(request => request.Filter is not null);

        RuleFor(request => request.Filter.Tag)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("filter.tag")
            .WithMessage("filter.tag must not contain control characters or unpaired surrogates.")
            .When(request => request.Filter is not null);

        RuleFor(request => request.Filter.Error)
            .Must(JobFilterRules.IsValidErrorText).OverridePropertyName("filter.error")
            .WithMessage("filter." + JobFilterRules.ErrorTextMessage)
            .When(request => request.Filter is not null);

        RuleFor(request => request.Filter.Args)
            .Must(args => args is null || JobFilterRules.ArgsProblem(args.Value) is null)
            .OverridePropertyName("filter.args")
            .WithMessage(request => "filter." + JobFilterRules.ArgsProblem(request.Filter.Args!.Value))
            .When(request => request.Filter is not null);

        RuleFor(request => request.MaxId)
            .GreaterThan(0).OverridePropertyName("max_id")
            .WithMessage("max_id must be a job id, 1 or more.");
    }
}

public sealed class BulkJobsEndpoint(JobStore store, ILogger<BulkJobsEndpoint> logger)
    : Endpoint<BulkJobActionRequest, BulkJobActionResult>
{
    public override void Configure()
    {
        Post("/v1/jobs/bulk");
        AllowAnonymous();
        Description(
            builder => builder
                .WithName("bulkJobAction")
                .Accepts<BulkJobActionRequest>(OpenApiDescriptions.Json)
                .Produces<BulkJobActionResult>(StatusCodes.Status200OK, OpenApiDescriptions.Json)
                .ProducesProblems(400, 413, 415, 500, 503),
            clearDefaults: true);
        Summary(summary =>
        {
            summary.Summary = "Apply an action to every job a filter matches";
            summary.Description =
                "Cancels, discards, retries or runs every job that matches the filter, has an id up to max_id, and " +
                "is in a state the action changes: cancel takes scheduled, available, retryable and running jobs " +
                "(running ones are asked to stop); discard takes scheduled, available and retryable jobs; retry " +
                "takes every job that is neither running nor available; run takes scheduled and retryable jobs. " +
                "Jobs are changed highest id first in batches of 1000, each committed on its own, so a request " +
                "that fails or is aborted part-way keeps the batches done so far and can simply be sent again. " +
                "Rows locked by a concurrent change at that moment, such as a job being claimed, are skipped. " +
                "GET /v1/jobs/count with the same filter and action tells how many jobs this changes.";
            summary.Responses[200] = "How many jobs changed.";
            summary.Responses[400] = "An invalid action, filter or max_id; 'errors' names the field.";
            summary.Responses[413] = "The body is too large.";
            summary.Responses[415] = "The body is not application/json.";
            summary.Responses[500] = "A defect in the service; the body carries a trace id.";
            summary.Responses[503] = "The database is unavailable; the batches done before it went away stay done.";
        });
    }

    public override async Task HandleAsync(BulkJobActionRequest req, CancellationToken ct)
    {
        var spec = req.Filter;
        var filter = new JobFilter(
            spec.Queue,
            spec.State is { } state ? JobStates.ToName(state) : null,
            spec.Kind,
            spec.Tag,
            spec.Error,
            spec.Args?.GetRawText());
        var action = JobActions.FromContract(req.Action!.Value);
        var outcome = await store.BulkAsync(action, filter, req.MaxId, JobStore.DefaultBulkBatchSize, ct);
        ApiLog.BulkActionDone(logger, action, outcome.Changed, outcome.UpperId, outcome.Batches);
        await Send.OkAsync(new BulkJobActionResult
        {
            Action = req.Action!.Value,
            Changed = outcome.Changed,
            Batches = outcome.Batches,
            MaxId = outcome.UpperId,
        }, ct);
    }
}
