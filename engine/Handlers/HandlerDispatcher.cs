using JobQueue.Engine.Execution;
using Microsoft.Extensions.DependencyInjection;

namespace JobQueue.Engine.Handlers;

/// <summary>A handler type registered for a kind.</summary>
public sealed record HandlerRegistration(string Kind, Type HandlerType);

/// <summary>Runs jobs in the <see cref="IJobHandler"/> registered for their kind.</summary>
public sealed class HandlerDispatcher : IJobDispatcher
{
    private readonly IServiceScopeFactory _scopes;
    private readonly ResultSerializer _results;
    private readonly Dictionary<string, Type> _handlers = new(StringComparer.Ordinal);

    public HandlerDispatcher(
        IEnumerable<HandlerRegistration> registrations, IServiceScopeFactory scopes, ResultSerializer results)
    {
        _scopes = scopes;
        _results = results;
        foreach (var registration in registrations)
        {
            if (!_handlers.TryAdd(registration.Kind, registration.HandlerType))
            {
                throw new InvalidOperationException(
                    $"Two handlers are registered for kind '{registration.Kind}': {_handlers[registration.Kind].Name} and {registration.HandlerType.Name}.");
            }
        }
    }

    /// <summary>The kinds that have a handler, for start-up logs and process listings.</summary>
    public IReadOnlyCollection<string> Kinds => _handlers.Keys;

    public bool Serves(string kind) => _handlers.ContainsKey(kind);

    public TimeSpan? DefaultTimeoutFor(string kind) => null;

    public async Task<AttemptOutcome> DispatchAsync(JobContext job, CancellationToken cancellationToken)
    {
        await using var scope = _scopes.CreateAsyncScope();
        var handler = (IJobHandler)scope.ServiceProvider.GetRequiredService(_handlers[job.Kind]);
        try
        {
            var result = await handler.HandleAsync(job, cancellationToken);
            return new AttemptOutcome.Succeeded(_results.FromObject(result));
        }
        catch (JobFailedException exception)
        {
            return new AttemptOutcome.Failed(new Storage.JobFailure("exception", exception.Message));
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Any exception from user code fails the attempt; the type name tells the handler's
            // author what went wrong without the stack trace, which stays in the worker's log.
            return new AttemptOutcome.Failed(new Storage.JobFailure("exception", $"{exception.GetType().Name}: {exception.Message}"));
        }
    }
}
