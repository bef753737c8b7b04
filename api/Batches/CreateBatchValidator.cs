using System.Text.Json;
using FastEndpoints;
using FluentValidation;
using JobQueue.Api.Jobs;
using JobQueue.Contracts;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Batches;

/// <summary>Checks every job and the callback of a batch before anything is stored.</summary>
public sealed class CreateBatchValidator : Validator<CreateBatchRequest>
{
    public const int MaxDescriptionLength = 1000;
    public const int MaxCallbackUrlLength = 2048;

    public CreateBatchValidator(IOptions<ApiOptions> options)
    {
        RuleFor(batch => batch.Jobs)
            .NotEmpty().WithMessage("jobs must hold at least one job.")
            .Must(jobs => jobs.Count <= CreateBatchRequest.MaxJobs)
            .WithMessage($"jobs may hold at most {CreateBatchRequest.MaxJobs} jobs; split the work into several batches.");

        var rules = new JobRequestRules(options, () => Resolve<IOptions<ApiOptions>>().Value.UrlPolicy);
        RuleFor(batch => batch.Jobs)
            .Custom(rules.ValidateEach)
            .When(batch => batch.Jobs.Count <= CreateBatchRequest.MaxJobs);

        RuleForEach(batch => batch.Jobs)
            .Must(job => job?.Unique is null)
            .WithMessage("unique is not allowed on a job of a batch, because an existing job that it matched would not " +
                "belong to the batch. Use POST /v1/jobs/batch for unique jobs.");

        RuleFor(batch => batch.Description)
            .Must(text => text is null || (text.Length <= MaxDescriptionLength && !text.Contains('\0', StringComparison.Ordinal)))
            .WithMessage($"description must be at most {MaxDescriptionLength} characters without U+0000.");

        RuleFor(batch => batch.CallbackUrl)
            .Null().When(batch => batch.Callback is not null)
            .WithMessage("callback and callback_url are mutually exclusive; send at most one of them.");

        RuleFor(batch => batch.CallbackUrl)
            .Must(IsWebhookUrl)
            .When(batch => batch.CallbackUrl is not null)
            .WithMessage($"callback_url must be an absolute http or https URL of at most {MaxCallbackUrlLength} characters.");

        RuleFor(batch => batch.Callback!)
            .SetValidator(rules)
            .When(batch => batch.Callback is not null);

        RuleFor(batch => batch.Callback!.RunAt)
            .Null().WithMessage("callback.run_at is not allowed, because the callback is enqueued when the batch finishes; " +
                "use delay_seconds.")
            .OverridePropertyName("callback.run_at")
            .When(batch => batch.Callback is not null);

        RuleFor(batch => batch.Callback!.DiscardAfter)
            .Null().WithMessage("callback.discard_after is not allowed, because the callback is enqueued when the batch finishes.")
            .OverridePropertyName("callback.discard_after")
            .When(batch => batch.Callback is not null);

        RuleFor(batch => batch.Callback!.Unique)
            .Null().WithMessage("callback.unique is not allowed; a batch enqueues its callback exactly once.")
            .OverridePropertyName("callback.unique")
            .When(batch => batch.Callback is not null);

        RuleFor(batch => batch.Callback!.Args)
            .Must(args => args is not { } value || (value.ValueKind == JsonValueKind.Object && !value.TryGetProperty("batch", out _)))
            .WithMessage("callback.args must be a JSON object without a member named batch, which the batch adds with its counts.")
            .OverridePropertyName("callback.args")
            .When(batch => batch.Callback is not null);
    }

    private static bool IsWebhookUrl(string? url) =>
        url is { Length: > 0 and <= MaxCallbackUrlLength }
        && Uri.TryCreate(url, UriKind.Absolute, out var parsed)
        && (parsed.Scheme == Uri.UriSchemeHttp || parsed.Scheme == Uri.UriSchemeHttps)
        && !TextRules.HasControlCharacter(url);
}
