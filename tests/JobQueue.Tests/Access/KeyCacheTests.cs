using System.Net.Http.Headers;
using Alba;
using JobQueue.Api.Access;
using JobQueue.Storage;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace JobQueue.Tests.Access;

/// <summary>The key cache of one API process, with the default cache duration of 10 seconds.</summary>
public sealed class KeyCacheTests(TestDatabase database) : IClassFixture<TestDatabase>, IAsyncLifetime
{
    // Replaces the host's clock, so a test can move past the key cache duration without waiting.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private IAlbaHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", database.ConnectionString);
            builder.UseSetting("Api:Auth:Mode", "keys");
            builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(_clock));
        });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> CreateKeyAsync(string name, string scope)
    {
        var (id, key, hash) = ApiKeySecret.Create();
        await new ApiKeyStore(database.DataSource).InsertAsync(
            new NewApiKey(id, name, hash, [scope], null, null, null, null), CancellationToken.None);
        return key;
    }

    private async Task<int> StatusAsync(HttpMethod method, string url, string key)
    {
        using var client = _host.Server.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request);
        return (int)response.StatusCode;
    }

    [Fact]
    public async Task Revoke_through_this_process_applies_at_once()
    {
        var admin = await CreateKeyAsync("cache-admin", "admin");
        var key = await CreateKeyAsync("cached", "read");
        var id = key.Split('_')[1];
        Assert.Equal(200, await StatusAsync(HttpMethod.Get, "/v1/queues", key));

        var revoke = await StatusAsync(HttpMethod.Post, $"/v1/keys/{id}/revoke", admin);
        var after = await StatusAsync(HttpMethod.Get, "/v1/queues", key);

        Assert.Equal(200, revoke);
        Assert.Equal(401, after);
    }

    [Fact]
    public async Task Revoke_elsewhere_applies_after_cache_duration()
    {
        var key = await CreateKeyAsync("cached-elsewhere", "read");
        var id = key.Split('_')[1];
        Assert.Equal(200, await StatusAsync(HttpMethod.Get, "/v1/queues", key));

        // Revoked as another API process or the keys command would, without this process knowing.
        await new ApiKeyStore(database.DataSource).RevokeAsync(id, CancellationToken.None);
        var whileCached = await StatusAsync(HttpMethod.Get, "/v1/queues", key);
        _clock.Advance(AccessOptions.KeyCacheDurationDefault + TimeSpan.FromSeconds(1));
        var afterCache = await StatusAsync(HttpMethod.Get, "/v1/queues", key);

        Assert.Equal(200, whileCached);
        Assert.Equal(401, afterCache);
    }
}
