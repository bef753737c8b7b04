using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

[Collection(ApiHostGroup.Name)]
public sealed class SwaggerUiTests(ApiHost api)
{
    [Fact]
    public async Task Swagger_ui_page_is_served()
    {
        var response = await api.GetAsync("/swagger/index.html");

        Assert.Equal(200, response.Status);
        Assert.Equal("text/html", response.ContentType);
        Assert.Contains("swagger-ui", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Swagger_ui_points_at_the_served_document()
    {
        var config = await api.GetAsync("/swagger/index.js");
        var document = await api.GetAsync("/openapi/v1.json");

        Assert.Equal(200, config.Status);
        Assert.Contains("/openapi/v1.json", config.Body, StringComparison.Ordinal);
        Assert.Equal(200, document.Status);
        Assert.Contains("\"openapi\": \"3.0", document.Body, StringComparison.Ordinal);
    }
}
