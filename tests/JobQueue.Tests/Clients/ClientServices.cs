using JobQueue.Client;

namespace JobQueue.Tests.Clients;

/// <summary>
/// The published API and worker processes over a database of their own, with the generated C#
/// client pointed at the API's URL, so the client's requests cross real HTTP.
/// </summary>
public sealed class ClientServices : IAsyncLifetime, IDisposable
{
    private readonly PublishedServices _services = new();
    private HttpClient? _httpClient;

    public JobQueueClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _services.InitializeAsync();
        _httpClient = new HttpClient { BaseAddress = new Uri(_services.ApiUrl + "/") };
        Client = new JobQueueClient(_httpClient);
    }

    public async Task DisposeAsync()
    {
        Dispose();
        await _services.DisposeAsync();
    }

    public void Dispose() => _httpClient?.Dispose();
}
