using Npgsql;
using NpgsqlTypes;

namespace JobQueue.Storage;

/// <summary>Turns a <see cref="JobFilter"/> into WHERE conditions on <c>jobqueue.jobs AS job</c>.</summary>
internal static class JobFilterSql
{
    /// <summary>
    /// Adds one positional parameter per set member of <paramref name="filter"/> to
    /// <paramref name="command"/> and returns the matching conditions. Only fixed fragments enter
    /// the text and every value travels as a parameter. A condition is added only when its member
    /// is set, so the planner sees the exact filter and picks its index.
    /// </summary>
    public static List<string> Conditions(NpgsqlCommand command, JobFilter filter)
    {
        var conditions = new List<string>();
        void Where(string condition, NpgsqlParameter parameter)
        {
            command.Parameters.Add(parameter);
            conditions.Add(condition.Replace("$?", "$" + command.Parameters.Count, StringComparison.Ordinal));
        }

        if (filter.Queue is not null)
        {
            Where("job.queue = $?", new NpgsqlParameter<string> { TypedValue = filter.Queue });
        }

        if (filter.AllowedQueues is not null)
        {
            Where("job.queue = ANY($?)", new NpgsqlParameter<string[]> { TypedValue = [.. filter.AllowedQueues] });
        }

        if (filter.State is not null)
        {
            Where("job.state = $?", new NpgsqlParameter<string> { TypedValue = filter.State });
        }

        if (filter.Kind is not null)
        {
            Where("job.kind = $?", new NpgsqlParameter<string> { TypedValue = filter.Kind });
        }

        if (filter.Tag is not null)
        {
            // The second condition repeats the predicate of the partial index jobs_tagged, which
            // contains only the jobs that have tags.
            Where("job.tags @> ARRAY[$?::text] AND job.tags <> '{}'", new NpgsqlParameter<string> { TypedValue = filter.Tag });
        }

        if (filter.Error is not null)
        {
            // The first condition repeats the predicate of the partial index jobs_with_errors, so the
            // planner can walk only the jobs that failed at least once.
            Where("""
                job.errors <> '[]'::jsonb AND EXISTS (
                    SELECT 1 FROM jsonb_array_elements(job.errors) AS error
                    WHERE error->>'message' ILIKE $? OR error->>'reason' ILIKE $?)
                """,
                new NpgsqlParameter<string> { TypedValue = "%" + EscapeLike(filter.Error) + "%" });
        }

        if (filter.ArgsJson is not null)
        {
            Where("job.args @> $?", new NpgsqlParameter { Value = filter.ArgsJson, NpgsqlDbType = NpgsqlDbType.Jsonb });
        }

        return conditions;
    }

    /// <summary>Returns "WHERE a AND b" for the conditions, or an empty string when there are none.</summary>
    public static string Where(IReadOnlyCollection<string> conditions) =>
        conditions.Count == 0 ? "" : "WHERE " + string.Join(" AND ", conditions);

    // ILIKE treats % and _ as wildcards and backslash as their escape; the search is for the text as typed.
    private static string EscapeLike(string text) => text
        .Replace(@"\", @"\\", StringComparison.Ordinal)
        .Replace("%", @"\%", StringComparison.Ordinal)
        .Replace("_", @"\_", StringComparison.Ordinal);
}
