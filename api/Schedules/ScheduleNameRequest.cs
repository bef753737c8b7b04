using FastEndpoints;
using FluentValidation;
using JobQueue.Engine.Schedules;

namespace JobQueue.Api.Schedules;

/// <summary>Route values of the endpoints under <c>/v1/schedules/{name}</c>.</summary>
public sealed class ScheduleNameRequest
{
    /// <summary>Schedule name: 1 to 100 letters, digits, '.', '_' or '-'.</summary>
    public string Name { get; set; } = "";
}

public sealed class ScheduleNameValidator : Validator<ScheduleNameRequest>
{
    public ScheduleNameValidator()
    {
        RuleFor(r => r.Name)
            .Must(name => ScheduleRules.CheckName(name) is null)
            .WithMessage(_ => ScheduleRules.CheckName("")!)
            .OverridePropertyName("name");
    }
}
