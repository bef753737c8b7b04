using FastEndpoints;
using FluentValidation;
using JobQueue.Api.Access;
using JobQueue.Api.Jobs;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Audit;

/// <summary>Query parameters of <c>GET /v1/audit</c>.</summary>
public sealed class ListAuditRequest
{
    /// <summary>Only entries of the key with this id.</summary>
    [QueryParam, BindFrom("key_id")]
    public string? KeyId { get; set; }

    /// <summary>Entries per page; the server default (50 unless configured) when omitted.</summary>
    [QueryParam, BindFrom("page_size")]
    public int? PageSize { get; set; }

    /// <summary>The next_page_token of the previous page; omit for the first page.</summary>
    [QueryParam, BindFrom("page_token")]
    public string? PageToken { get; set; }
}

public sealed class ListAuditValidator : Validator<ListAuditRequest>
{
    public ListAuditValidator(IOptions<ApiOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var maxPageSize = options.Value.MaxPageSize;

        RuleFor(request => request.KeyId)
            .Must(id => id is null || ApiKeySecret.IsId(id))
            .OverridePropertyName("key_id")
            .WithMessage($"key_id must be a key id: {ApiKeySecret.IdLength} characters a-z and 2-7.");

        RuleFor(request => request.PageSize)
            .InclusiveBetween(1, maxPageSize)
            .OverridePropertyName("page_size")
            .WithMessage($"page_size must be between 1 and {maxPageSize}.");

        RuleFor(request => request.PageToken)
            .Must(token => token is null || Jobs.PageToken.TryDecode(token, out _))
            .OverridePropertyName("page_token")
            .WithMessage("page_token is invalid; pass the next_page_token of the previous page unchanged.");
    }
}
