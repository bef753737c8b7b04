using System.Security.Cryptography;

namespace JobQueue.Engine;

/// <summary>
/// The name this worker process writes into the jobs it leases: host name, process id and a
/// random suffix, so that a restarted process on the same host never reuses an old name.
/// </summary>
public sealed class WorkerIdentity
{
    public string Id { get; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
}
