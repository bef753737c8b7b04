using FastEndpoints;
using JobQueue.Contracts;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Jobs;

public sealed class EnqueueJobValidator : Validator<EnqueueJobRequest>
{
    public EnqueueJobValidator(IOptions<ApiOptions> options)
    {
        Include(new JobRequestRules(options, () => Resolve<IOptions<ApiOptions>>().Value.UrlPolicy));
    }
}
