using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>A response read in full, for tests that send raw bodies and check every part of the response.</summary>
public sealed record ApiResponse(int Status, string? ContentType, string Body, HttpResponseHeaders Headers)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;

    public T Read<T>() => JsonSerializer.Deserialize<T>(Body)
        ?? throw new InvalidOperationException("The response body is JSON null.");

    /// <summary>Field names of a problem's <c>errors</c> member; empty when it has none.</summary>
    public IReadOnlyList<string> ErrorFields => Json.TryGetProperty("errors", out var errors)
        ? errors.EnumerateObject().Select(property => property.Name).ToList()
        : [];
}

/// <summary>Raw HTTP helpers over the test server, for bodies that typed clients cannot send.</summary>
public static class ApiRequests
{
    public static async Task<ApiResponse> SendAsync(
        this ApiHost api, HttpMethod method, string url, string? body = null, string? contentType = "application/json")
    {
        using var client = api.Host.Server.CreateClient();
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = contentType is null ? null : MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, text, response.Headers);
    }

    public static Task<ApiResponse> PostJsonAsync(this ApiHost api, string url, string body) =>
        api.SendAsync(HttpMethod.Post, url, body);

    public static Task<ApiResponse> GetAsync(this ApiHost api, string url) => api.SendAsync(HttpMethod.Get, url);

    /// <summary>Enqueues one job over the API and returns it, failing the test on any other status than 201.</summary>
    public static async Task<Job> EnqueueAsync(this ApiHost api, string json)
    {
        var response = await api.PostJsonAsync("/v1/jobs", json);
        Assert.True(response.Status == 201, $"Enqueue returned {response.Status}: {response.Body}");
        return response.Read<Job>();
    }

    public static string UniqueQueue() => "q" + Guid.NewGuid().ToString("N")[..10];
}
