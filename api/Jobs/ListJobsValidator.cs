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

        RuleFor(request => request.PageSize)
            .InclusiveBetween(1, maxPageSize)
            .OverridePropertyName("page_size")
            .WithMessage($"page_size must be between 1 and {maxPageSize}.");

        RuleFor(request => request.PageToken)
            .Must(token => token is null || PageToken.TryDecode(token, out _))
            .OverridePropertyName("page_token")
            .WithMessage("page_token is invalid; pass the next_page_token of the previous page unchanged.");
    }
}
