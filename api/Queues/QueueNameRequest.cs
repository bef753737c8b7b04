using FastEndpoints;
using FluentValidation;

namespace JobQueue.Api.Queues;

/// <summary>Route values of the endpoints under <c>/v1/queues/{name}</c>.</summary>
public sealed class QueueNameRequest
{
    /// <summary>Queue name: 1 to 128 letters, digits, '.', '_' or '-'.</summary>
    public string Name { get; set; } = "";
}

public sealed class QueueNameValidator : Validator<QueueNameRequest>
{
    private const string CharactersMessage = "name may contain only letters A-Z and a-z, digits and . _ -";

    public QueueNameValidator()
    {
        RuleFor(r => r.Name)
            .NotEmpty().WithMessage("name is required.")
            .MaximumLength(128).WithMessage("name must be at most 128 characters.")
            .Matches("^[A-Za-z0-9._-]*$").WithMessage(CharactersMessage)
            // .NET's $ also matches before a final line feed. The pattern in openapi.yaml follows
            // ECMAScript, where it does not, so "q\n" is rejected here.
            .Must(name => !name.Contains('\n', StringComparison.Ordinal))
            .WithMessage(CharactersMessage)
            .OverridePropertyName("name");
    }
}
