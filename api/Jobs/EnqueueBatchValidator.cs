using FastEndpoints;
using FluentValidation;
using JobQueue.Contracts;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Jobs;

/// <summary>Checks every job of a batch before any is stored, so one bad job rejects the whole batch.</summary>
public sealed class EnqueueBatchValidator : Validator<EnqueueBatchRequest>
{
    public EnqueueBatchValidator(IOptions<ApiOptions> options)
    {
        RuleFor(batch => batch.Jobs)
            .NotEmpty().WithMessage("jobs must hold at least one job.")
            .Must(jobs => jobs.Count <= EnqueueBatchRequest.MaxJobs)
            .WithMessage($"jobs may hold at most {EnqueueBatchRequest.MaxJobs} jobs; split the batch.");

        var rules = new JobRequestRules(options, () => Resolve<IOptions<ApiOptions>>().Value.UrlPolicy);
        RuleFor(batch => batch.Jobs)
            .Custom(rules.ValidateEach)
            .When(batch => batch.Jobs.Count <= EnqueueBatchRequest.MaxJobs);
    }
}
