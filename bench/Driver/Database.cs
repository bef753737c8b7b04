using Npgsql;

namespace JobQueue.Bench;

/// <summary>The benchmark's database: recreated empty for each measurement.</summary>
internal sealed class Database(BenchOptions options)
{
    public string ConnectionString => new NpgsqlConnectionStringBuilder(options.AdminConnection)
    {
        Database = options.Database,
        MaxPoolSize = 20,
    }.ConnectionString;

    public async Task RecreateAsync()
    {
        await using var admin = new NpgsqlConnection(options.AdminConnection);
        await admin.OpenAsync();
        await using (var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{options.Database}\" WITH (FORCE)", admin))
        {
            await drop.ExecuteNonQueryAsync();
        }

        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{options.Database}\"", admin);
        await create.ExecuteNonQueryAsync();
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        var value = await command.ExecuteScalarAsync();
        return (T)Convert.ChangeType(value!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Returns each job's id with its first start time (the claim's now()), as Unix ms.</summary>
    public async Task<Dictionary<long, double>> StartTimesAsync(long[] ids)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT id, (result->>'started_at_ms')::float8 FROM jobqueue.jobs WHERE id = ANY($1) AND result ? 'started_at_ms'",
            connection);
        command.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = ids });
        await using var reader = await command.ExecuteReaderAsync();
        var starts = new Dictionary<long, double>();
        while (await reader.ReadAsync())
        {
            starts[reader.GetInt64(0)] = reader.GetDouble(1);
        }

        return starts;
    }

    /// <summary>Waits until <paramref name="count"/> jobs are completed or the deadline passes; returns the count.</summary>
    public async Task<long> WaitForCompletedAsync(long count, DateTime deadline)
    {
        long done = 0;
        while (DateTime.UtcNow < deadline)
        {
            done = await ScalarAsync<long>("SELECT count(*) FROM jobqueue.jobs WHERE state = 'completed'");
            if (done >= count)
            {
                break;
            }

            await Task.Delay(100);
        }

        return done;
    }
}
