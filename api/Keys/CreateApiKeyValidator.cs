using FastEndpoints;
using FluentValidation;
using JobQueue.Api.Jobs;
using JobQueue.Contracts;

namespace JobQueue.Api.Keys;

/// <summary>Rules of <c>POST /v1/keys</c>, also applied by the <c>keys create</c> command.</summary>
public sealed class CreateApiKeyValidator : Validator<CreateApiKeyRequest>
{
    public const int MaxNameLength = 100;
    public const int MaxQueues = 100;
    public const int MaxRateLimitPerSecond = 100_000;

    public CreateApiKeyValidator(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);

        RuleFor(request => request.Name)
            .NotEmpty().WithMessage("name is required.")
            .MaximumLength(MaxNameLength).WithMessage($"name must be at most {MaxNameLength} characters.")
            .Must(name => name is null || (!TextRules.HasControlCharacter(name) && TextRules.IsWellFormedUtf16(name)))
            .WithMessage("name must not contain control characters or unpaired surrogates.")
            .OverridePropertyName("name");

        RuleFor(request => request.Scopes)
            .NotEmpty().WithMessage($"scopes is required: one or more of {string.Join(", ", ApiKeyScopes.All)}.")
            .Must(scopes => scopes is null || scopes.All(scope => ApiKeyScopes.All.Contains(scope)))
            .WithMessage($"scopes may contain only {string.Join(", ", ApiKeyScopes.All)}.")
            .OverridePropertyName("scopes");

        RuleFor(request => request.Queues)
            .Must(queues => queues is null || queues.Count is > 0 and <= MaxQueues)
            .WithMessage($"queues must list 1 to {MaxQueues} queues, or be omitted for every queue.")
            .Must(queues => queues is null || queues.All(queue => queue is not null && IsQueueName(queue)))
            .WithMessage($"each queue must be 1 to {JobRequestRules.MaxQueueLength} letters A-Z and a-z, digits and . _ -")
            .OverridePropertyName("queues");

        RuleFor(request => request.Queues)
            .Null()
            .When(request => request.Scopes?.Contains(ApiKeyScopes.Admin) == true)
            .WithMessage("An admin key covers every queue, so it cannot have queues; create a key with read or enqueue instead.")
            .OverridePropertyName("queues");

        RuleFor(request => request.ExpiresAt)
            .Must(expiresAt => expiresAt is null || expiresAt > timeProvider.GetUtcNow())
            .WithMessage("expires_at must be in the future.")
            .OverridePropertyName("expires_at");

        RuleFor(request => request.RateLimitPerSecond)
            .InclusiveBetween(1, MaxRateLimitPerSecond)
            .WithMessage($"rate_limit_per_second must be between 1 and {MaxRateLimitPerSecond}.")
            .OverridePropertyName("rate_limit_per_second");
    }

    private static bool IsQueueName(string queue) =>
        queue.Length is > 0 and <= JobRequestRules.MaxQueueLength
        && queue.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
