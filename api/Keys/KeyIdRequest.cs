using FastEndpoints;
using FluentValidation;
using JobQueue.Api.Access;

namespace JobQueue.Api.Keys;

/// <summary>Route value of the endpoints under <c>/v1/keys/{id}</c>.</summary>
public sealed class KeyIdRequest
{
    /// <summary>The key's public id: 12 characters a-z and 2-7.</summary>
    public string Id { get; set; } = "";
}

public sealed class KeyIdValidator : Validator<KeyIdRequest>
{
    public KeyIdValidator()
    {
        RuleFor(r => r.Id)
            .Must(ApiKeySecret.IsId)
            .WithMessage($"id must be a key id: {ApiKeySecret.IdLength} characters a-z and 2-7, the part of the key after 'jq_'.")
            .OverridePropertyName("id");
    }
}
