namespace JobQueue.Api.Errors;

/// <summary>
/// Ends a request with a problem response from code that cannot write one itself, such as the
/// request body deserializer; <see cref="ProblemMiddleware"/> writes it.
/// </summary>
public sealed class RequestRejectedException : Exception
{
    public RequestRejectedException()
    {
        Type = Contracts.ProblemTypes.MalformedRequest;
    }

    public RequestRejectedException(string message)
        : base(message)
    {
        Type = Contracts.ProblemTypes.MalformedRequest;
    }

    public RequestRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
        Type = Contracts.ProblemTypes.MalformedRequest;
    }

    public RequestRejectedException(
        int status, string type, string message, string? field, string? fieldMessage, Exception? innerException)
        : base(message, innerException)
    {
        Status = status;
        Type = type;
        Field = field;
        FieldMessage = fieldMessage;
    }

    public int Status { get; } = StatusCodes.Status400BadRequest;

    public string Type { get; }

    /// <summary>Field the problem is about, as named on the wire; null when it concerns the whole body.</summary>
    public string? Field { get; }

    public string? FieldMessage { get; }
}
