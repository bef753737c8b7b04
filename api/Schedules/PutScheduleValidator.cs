using FastEndpoints;
using FluentValidation;
using JobQueue.Api.Jobs;
using JobQueue.Contracts;
using JobQueue.Engine.Schedules;
using Microsoft.Extensions.Options;

namespace JobQueue.Api.Schedules;

/// <summary>
/// Rules of <c>PUT /v1/schedules/{name}</c>. The job template is checked with the enqueue
/// endpoint's rules, so a schedule cannot store a job that <c>POST /v1/jobs</c> would reject;
/// its fields are named <c>job.kind</c> and so on.
/// </summary>
public sealed class PutScheduleValidator : Validator<PutScheduleRequest>
{
    public PutScheduleValidator(IOptions<ApiOptions> options)
    {
        RuleFor(r => r.Cron).Custom((cron, context) =>
        {
            if (ScheduleRules.ParseCron(cron, out var error) is null)
            {
                context.AddFailure("cron", error!);
            }
        });

        RuleFor(r => r.TimeZone).Custom((zone, context) =>
        {
            if (ScheduleRules.FindTimeZone(zone ?? ScheduleRules.DefaultTimeZone, out var error) is null)
            {
                context.AddFailure("time_zone", error!);
            }
        });

        RuleFor(r => r.CatchUpLimit).Custom((limit, context) =>
        {
            if (limit is { } value && ScheduleRules.CheckCatchUpLimit(value) is { } error)
            {
                context.AddFailure("catch_up_limit", error);
            }
        });

        RuleFor(r => r.Job).NotNull().WithMessage("job is required, with at least its kind.").OverridePropertyName("job");

        RuleFor(r => ToEnqueueRequest(r.Job!))
            .SetValidator(new JobRequestRules(options, () => Resolve<IOptions<ApiOptions>>().Value.UrlPolicy))
            .OverridePropertyName("job")
            .When(r => r.Job is not null);

        RuleFor(r => r.Job!.Tags)
            .Must(tags => tags is null || tags.Count <= ScheduleRules.MaxTemplateTags)
            .WithMessage($"job.tags may hold at most {ScheduleRules.MaxTemplateTags} tags, because every job also gets the tag schedule:{{name}}.")
            .OverridePropertyName("job.tags")
            .When(r => r.Job is not null);
    }

    /// <summary>The template as an enqueue request, to check it with <see cref="JobRequestRules"/>.</summary>
    public static EnqueueJobRequest ToEnqueueRequest(ScheduleJob job) => new()
    {
        Kind = job.Kind,
        Queue = job.Queue,
        Args = job.Args,
        Priority = job.Priority,
        MaxAttempts = job.MaxAttempts,
        TimeoutSeconds = job.TimeoutSeconds,
        Tags = job.Tags,
    };
}
