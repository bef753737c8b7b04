using FastEndpoints;
using FluentValidation;
using JobQueue.Storage;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Jobs;

public sealed class ListJobsValidator : Validator<ListJobsRequest>
{
    public ListJobsValidator(IOptions<ApiOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxPageSize = options.Value.MaxPageSize;

        RuleFor(request => request.State)
            .Must(state => state is null || JobStates.TryParse(state, out _))
            .WithMessage($"state must be one of: {string.Join(", ", JobStates.Names)}.");

        // PostgreSQL text cannot hold U+0000, so such a filter would fail in the database.
        RuleFor(request => request.Queue)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("queue")
            .WithMessage("queue must not contain control characters or unpaired surrogates.");

        RuleFor(request => request.Kind)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("kind")
            .WithMessage("kind must not contain control characters or unpaired surrogates.");

        RuleFor(request => request.Tag)
            .Must(JobFilterRules.IsStorableText).OverridePropertyName("tag")
            .WithMessage("tag must not contain control characters or unpaired surrogates.");

        RuleFor(request => request.PageSize)
            .InclusiveBetween(1, maxPageSize)
            .OverridePropertyName("page_size")
            .WithMessage($"page_size must be between 1 and {maxPageSize}.");

        RuleFor(request => request.PageToken)
            .Must(token => token is null || PageToken.TryDecode(token, out _))
            .OverridePropertyName("page_token")
            .WithMessage("page_token is invalid; pass the next_page_token of the previous page unchanged.");

        RuleFor(request => request.Error)
            .Must(JobFilterRules.IsValidErrorText).OverridePropertyName("error")
            .WithMessage(JobFilterRules.ErrorTextMessage);

        RuleFor(request => request.Args)
            .Must(args => args is null || JobFilterRules.ArgsProblem(args) is null).OverridePropertyName("args")
            .WithMessage(request => JobFilterRules.ArgsProblem(request.Args!) ?? "");
    }
}
