using System.Globalization;
using JobQueue.Api.Access;
using JobQueue.Api.Keys;
using JobQueue.Contracts;
using JobQueue.Storage;

namespace JobQueue.Api.Hosting;

/// <summary>
/// The <c>keys</c> command: creates, lists and revokes API keys straight in the database, so the
/// first admin key can be made before any key exists. It reads the same settings as the API host
/// and applies pending migrations first unless <c>Database:MigrateOnStartup</c> is false. Each
/// change is written to the audit log as an action of the command.
/// </summary>
internal static class KeysCommand
{
    public const string Usage = """
        Usage:
          JobQueue.Api keys create --name NAME --scopes SCOPES [--queues QUEUES] [--expires-in DAYS] [--rate-limit N]
              SCOPES is a comma-separated list of read, enqueue and admin (admin includes the others).
              QUEUES limits the key to these queues (comma-separated); not allowed with admin.
              DAYS makes the key expire after that many days; N is its own limit in requests per second.
              Prints the key on standard output. It is shown this once; only a hash of it is stored.
          JobQueue.Api keys list
          JobQueue.Api keys revoke ID
        """;

    private const string ActorDetail = "admin command on the API host";

    public static async Task<int> RunAsync(string[] args)
    {
        var (command, options, rest) = Parse(args);
        if (command is null)
        {
            await Console.Error.WriteLineAsync(Usage);
            return 2;
        }

        var builder = Host.CreateApplicationBuilder(
            new HostApplicationBuilderSettings { Args = rest, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddJobQueueStorage(builder.Configuration);

        // Log lines go to standard error, so standard output carries only the key.
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        using var host = builder.Build();
        if (builder.Configuration.GetValue("Database:MigrateOnStartup", true))
        {
            await host.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
        }

        var keys = host.Services.GetRequiredService<ApiKeyStore>();
        var audit = host.Services.GetRequiredService<AuditStore>();
        var timeProvider = host.Services.GetRequiredService<TimeProvider>();
        return command switch
        {
            "create" => await CreateAsync(keys, audit, timeProvider, options),
            "list" => await ListAsync(keys),
            _ => await RevokeAsync(keys, audit, options.GetValueOrDefault("id") ?? ""),
        };
    }

    // Splits "keys VERB --option value ..." into the verb, its options and the remaining
    // arguments, which are host settings such as --ConnectionStrings:JobQueue.
    private static (string? Command, Dictionary<string, string> Options, string[] HostArgs) Parse(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        var rest = new List<string>();
        if (args.Length == 0 || args[0] is not ("create" or "list" or "revoke"))
        {
            return (null, options, []);
        }

        var known = args[0] switch
        {
            "create" => new[] { "--name", "--scopes", "--queues", "--expires-in", "--rate-limit" },
            _ => [],
        };
        var index = 1;
        if (args[0] == "revoke")
        {
            if (args.Length < 2 || args[1].StartsWith('-'))
            {
                return (null, options, []);
            }

            options["id"] = args[1];
            index = 2;
        }

        for (; index < args.Length; index++)
        {
            if (known.Contains(args[index]) && index + 1 < args.Length)
            {
                options[args[index][2..]] = args[++index];
            }
            else
            {
                rest.Add(args[index]);
            }
        }

        if (args[0] == "create" && (!options.ContainsKey("name") || !options.ContainsKey("scopes")))
        {
            return (null, options, []);
        }

        return (args[0], options, [.. rest]);
    }

    private static async Task<int> CreateAsync(
        ApiKeyStore keys, AuditStore audit, TimeProvider timeProvider, Dictionary<string, string> options)
    {
        DateTimeOffset? expiresAt = null;
        if (options.TryGetValue("expires-in", out var days))
        {
            if (!double.TryParse(days, NumberStyles.Float, CultureInfo.InvariantCulture, out var count) || count <= 0 || count > 36_600)
            {
                await Console.Error.WriteLineAsync($"--expires-in must be a number of days above 0, not '{days}'.");
                return 2;
            }

            expiresAt = timeProvider.GetUtcNow().AddDays(count);
        }

        int? rateLimit = null;
        if (options.TryGetValue("rate-limit", out var rate))
        {
            if (!int.TryParse(rate, NumberStyles.None, CultureInfo.InvariantCulture, out var perSecond))
            {
                await Console.Error.WriteLineAsync($"--rate-limit must be a whole number of requests per second, not '{rate}'.");
                return 2;
            }

            rateLimit = perSecond;
        }

        var request = new CreateApiKeyRequest
        {
            Name = options["name"],
            Scopes = SplitList(options["scopes"]),
            Queues = options.TryGetValue("queues", out var queues) ? SplitList(queues) : null,
            ExpiresAt = expiresAt,
            RateLimitPerSecond = rateLimit,
        };
        var validation = await new CreateApiKeyValidator(timeProvider).ValidateAsync(request);
        if (!validation.IsValid)
        {
            foreach (var error in validation.Errors)
            {
                await Console.Error.WriteLineAsync(error.ErrorMessage);
            }

            return 2;
        }

        var created = await ApiKeyIssuer.CreateAsync(keys, request, createdBy: null, CancellationToken.None);
        await audit.InsertAsync(new NewAuditEntry(null, null, "keys create", "key=" + created.Key.Id, 0, null, ActorDetail),
            CancellationToken.None);
        await Console.Error.WriteLineAsync(
            $"Created API key {created.Key.Id} ({created.Key.Name}) with scopes {string.Join(",", created.Key.Scopes)}" +
            (created.Key.Queues is { } limited ? $", limited to the queues {string.Join(",", limited)}" : "") +
            ". Store it now; it is not shown again:");
        Console.WriteLine(created.Secret);
        return 0;
    }

    private static async Task<int> ListAsync(ApiKeyStore keys)
    {
        var all = await keys.ListAsync(CancellationToken.None);
        Console.WriteLine("ID            NAME                  SCOPES               QUEUES          CREATED               STATE");
        foreach (var key in all.Select(stored => stored.Key))
        {
            var state = key.RevokedAt is { } revoked ? $"revoked {revoked:u}"
                : key.ExpiresAt is { } expires ? $"expires {expires:u}"
                : "active";
            Console.WriteLine(string.Join("  ",
                key.Id.PadRight(12),
                key.Name.PadRight(20),
                string.Join(",", key.Scopes).PadRight(19),
                (key.Queues is null ? "*" : string.Join(",", key.Queues)).PadRight(14),
                key.CreatedAt.ToString("u", CultureInfo.InvariantCulture).PadRight(20),
                state));
        }

        return 0;
    }

    private static async Task<int> RevokeAsync(ApiKeyStore keys, AuditStore audit, string id)
    {
        if (!ApiKeySecret.IsId(id))
        {
            await Console.Error.WriteLineAsync(
                $"'{id}' is not a key id: {ApiKeySecret.IdLength} characters a-z and 2-7, the part of the key after 'jq_'.");
            return 2;
        }

        var revoked = await keys.RevokeAsync(id, CancellationToken.None);
        if (revoked is null)
        {
            await Console.Error.WriteLineAsync($"No API key has id {id}; 'keys list' shows them.");
            return 1;
        }

        await audit.InsertAsync(new NewAuditEntry(null, null, "keys revoke", "key=" + id, 0, null, ActorDetail), CancellationToken.None);
        await Console.Error.WriteLineAsync(
            $"Revoked API key {id} ({revoked.Key.Name}) at {revoked.Key.RevokedAt:u}. API processes that cached it stop " +
            "accepting it within Api:Auth:KeyCacheDuration (10 seconds by default).");
        return 0;
    }

    private static List<string> SplitList(string value) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
