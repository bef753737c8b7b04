using System.Net.Http.Headers;
using System.Text;
using Alba;
using JobQueue.Api.Access;
using JobQueue.Storage;
using JobQueue.Tests.Api;
using JobQueue.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;

namespace JobQueue.Tests.Access;

/// <summary>
/// The API host with API keys required, over a database of its own, with one admin key made
/// straight in the database. Keys are read on every request (no cache), so a revoke by another
/// process shows at once.
/// </summary>
public sealed class KeyedApiHost : IAsyncLifetime
{
    public TestDatabase Database { get; } = new();

    public IAlbaHost Host { get; private set; } = null!;

    /// <summary>A key with the admin scope.</summary>
    public string AdminKey { get; private set; } = "";

    public string AdminKeyId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await Database.InitializeAsync();
        Host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseSetting("ConnectionStrings:JobQueue", Database.ConnectionString);
            builder.UseSetting("Api:Auth:Mode", "keys");
            builder.UseSetting("Api:Auth:KeyCacheDuration", "00:00:00");
            builder.UseEnvironment("Development");
        });

        var (id, key, hash) = ApiKeySecret.Create();
        await new ApiKeyStore(Database.DataSource).InsertAsync(
            new NewApiKey(id, "test-admin", hash, ["admin"], null, null, null, null), CancellationToken.None);
        AdminKey = key;
        AdminKeyId = id;
    }

    public async Task DisposeAsync()
    {
        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    /// <summary>Sends a request with <paramref name="key"/> as bearer token (none when null) and reads the whole response.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string url, string? key, string? body = null)
    {
        using var client = Host.Server.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var headers = response.Headers;
        return new ApiResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, headers);
    }

    /// <summary>Creates a key over the API with the admin key and returns its id and secret.</summary>
    public async Task<(string Id, string Key)> CreateKeyAsync(string json)
    {
        var response = await SendAsync(HttpMethod.Post, "/v1/keys", AdminKey, json);
        Assert.True(response.Status == 201, $"Creating a key returned {response.Status}: {response.Body}");
        return (response.Json.GetProperty("key").GetProperty("id").GetString()!, response.Json.GetProperty("secret").GetString()!);
    }
}

[CollectionDefinition(Name)]
public sealed class KeyedApiHostGroup : ICollectionFixture<KeyedApiHost>
{
    public const string Name = "KeyedApi";
}
