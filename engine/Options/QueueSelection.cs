using System.Text.RegularExpressions;
using JobQueue.Storage;

namespace JobQueue.Engine.Options;

/// <summary>One isolated pool: the queues it claims from and how many jobs it runs at once.</summary>
/// <param name="Name">The pool's part of the selection string, used in logs and process listings.</param>
public sealed record PoolDefinition(string Name, QueueFilter Queues, int Slots)
{
    /// <summary>Whether a notification about <paramref name="queue"/> concerns this pool.</summary>
    public bool Matches(string queue) => Queues.Queues is null
        || (Queues.Exclude ? !Queues.Queues.Contains(queue) : Queues.Queues.Contains(queue));
}

/// <summary>
/// Parses a queue selection in GoodJob's syntax into pools. Pools are separated by <c>;</c>,
/// and each pool is a comma-separated queue list with an optional <c>:slots</c> suffix:
/// <c>mice:2;elephants:1</c> is two pools, <c>*:4</c> takes every queue, <c>mice,sparrows:1</c>
/// shares one pool between two queues, and <c>-elephants,whales:2</c> takes every queue but
/// those listed. A pool without a count gets <see cref="DefaultSlots"/>.
/// </summary>
public static partial class QueueSelection
{
    /// <summary>Slots of a pool whose part has no <c>:count</c>.</summary>
    public const int DefaultSlots = 5;

    /// <summary>Largest number of slots one pool may have.</summary>
    public const int MaxSlots = 1000;

    public static IReadOnlyList<PoolDefinition> Parse(string selection)
    {
        if (string.IsNullOrWhiteSpace(selection))
        {
            throw new FormatException("The queue selection is empty; use for example '*:5' or 'mice:2;elephants:1'.");
        }

        var pools = new List<PoolDefinition>();
        foreach (var rawPart in selection.Split(';'))
        {
            var part = rawPart.Trim();
            if (part.Length == 0)
            {
                throw new FormatException($"The queue selection '{selection}' has an empty pool between ';' separators.");
            }

            pools.Add(ParsePool(part));
        }

        return pools;
    }

    private static PoolDefinition ParsePool(string part)
    {
        var queuesText = part;
        var slots = DefaultSlots;
        var colon = part.LastIndexOf(':');
        if (colon >= 0)
        {
            var countText = part[(colon + 1)..].Trim();
            if (!int.TryParse(countText, System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out slots) || slots < 1 || slots > MaxSlots)
            {
                throw new FormatException(
                    $"The pool '{part}' has an invalid slot count '{countText}'; use a whole number from 1 to {MaxSlots}.");
            }

            queuesText = part[..colon].Trim();
        }

        var exclude = queuesText.StartsWith('-');
        if (exclude)
        {
            queuesText = queuesText[1..];
        }

        var names = queuesText.Split(',').Select(name => name.Trim()).ToList();
        if (names is ["*"])
        {
            return exclude
                ? throw new FormatException($"The pool '{part}' excludes '*', which would leave no queue.")
                : new PoolDefinition(part, QueueFilter.Any, slots);
        }

        foreach (var name in names)
        {
            if (name == "*")
            {
                throw new FormatException($"The pool '{part}' mixes '*' with queue names; '*' must stand alone.");
            }

            if (!QueueName().IsMatch(name))
            {
                throw new FormatException(
                    $"The pool '{part}' has an invalid queue name '{name}'; use 1 to 128 letters, digits, '.', '_', ':' or '-'.");
            }
        }

        return new PoolDefinition(part, new QueueFilter(names.Distinct(StringComparer.Ordinal).ToList(), exclude), slots);
    }

    // The characters the API accepts in a queue name.
    [GeneratedRegex("^[A-Za-z0-9._-]{1,128}$")]
    private static partial Regex QueueName();
}
