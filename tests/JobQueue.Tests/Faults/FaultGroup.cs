namespace JobQueue.Tests.Faults;

/// <summary>
/// The fault tests run one at a time and after the parallel test classes. Each starts several
/// worker processes with 3-second leases, and on a 2-core machine other tests running beside them
/// could delay lease renewals enough to expire leases that no fault was aimed at.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultGroup
{
    public const string Name = "Faults";
}
