using JobQueue.Client;
using JobQueue.Tests.Infrastructure;
using Microsoft.Extensions.Hosting;

namespace JobQueue.Tests.Clients;

/// <summary>
/// The API on Alba's in-memory server and an in-process worker over one database of their own,
/// with the generated C# client pointed at the API. The API host is not the shared
/// <see cref="ApiHostGroup"/> one, because a worker here would run the jobs that other API tests
/// expect to stay put.
/// </summary>
public sealed class InMemoryServices : IAsyncLifetime
{
    private readonly ApiHost _api = new();
    private IHost? _worker;
    private HttpClient? _httpClient;

    public JobQueueClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _api.InitializeAsync();
        _worker = await WorkerHost.StartAsync(_api.Database);

        // The test server's client has BaseAddress http://localhost/ and sends requests in memory.
        _httpClient = _api.Host.Server.CreateClient();
        Client = new JobQueueClient(_httpClient);
    }

    public async Task DisposeAsync()
    {
        _httpClient?.Dispose();
        if (_worker is not null)
        {
            await _worker.StopAsync();
            _worker.Dispose();
        }

        await _api.DisposeAsync();
    }
}
