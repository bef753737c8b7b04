using Alba;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class HealthTests(ApiHost api)
{
    [Fact]
    public async Task Live_returns_ok()
    {
        await api.Host.Scenario(s =>
        {
            s.Get.Url("/healthz/live");
            s.StatusCodeShouldBeOk();
        });
    }

    [Fact]
    public async Task Ready_returns_ok_when_schema_is_current()
    {
        var result = await api.Host.Scenario(s =>
        {
            s.Get.Url("/healthz/ready");
            s.StatusCodeShouldBeOk();
        });

        var body = await result.ReadAsJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("ready", body.GetProperty("status").GetString());
        Assert.Equal(JobQueue.Storage.Migrator.LatestVersion, body.GetProperty("schema_version").GetInt32());
    }
}
