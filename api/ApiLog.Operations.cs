namespace JobQueue.Api;

// Log messages of the operator's actions and the live event stream; event ids 2150–2169.
internal static partial class ApiLog
{
    [LoggerMessage(EventId = 2150, Level = LogLevel.Information, Message = "Job {JobId} discarded over the API")]
    public static partial void JobDiscarded(ILogger logger, long jobId);

    [LoggerMessage(EventId = 2151, Level = LogLevel.Information, Message = "Job {JobId} made due now over the API")]
    public static partial void JobRunNow(ILogger logger, long jobId);

    [LoggerMessage(EventId = 2152, Level = LogLevel.Information,
        Message = "Bulk {Action} changed {Count} jobs with ids up to {MaxId} in {Batches} batches")]
    public static partial void BulkActionDone(ILogger logger, Storage.JobAction action, long count, long maxId, int batches);

    [LoggerMessage(EventId = 2153, Level = LogLevel.Debug, Message = "Event stream opened")]
    public static partial void EventStreamOpened(ILogger logger);

    [LoggerMessage(EventId = 2154, Level = LogLevel.Warning,
        Message = "Event stream rejected because {MaxStreams} streams are open already")]
    public static partial void EventStreamRejected(ILogger logger, int maxStreams);
}
