using Alba;
using Microsoft.AspNetCore.Hosting;

namespace JobQueue.Tests.Infrastructure;

/// <summary>
/// The API host on the in-memory test server, over a database of its own. One instance serves
/// every test class in <see cref="ApiHostGroup"/>, so tests use unique queue names or read back
/// the ids they created rather than counting the whole table.
/// </summary>
public sealed class ApiHost : IAsyncLifetime
{
    public TestDatabase Database { get; } = new();

    public IAlbaHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", Database.ConnectionString);

            // Keyless, so that tests of other features need no key; AccessTests cover the keys.
            builder.UseSetting("Api:Auth:Mode", "none");
            builder.UseEnvironment("Development");
        });
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await Database.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ApiHostGroup : ICollectionFixture<ApiHost>
{
    public const string Name = "Api";
}
