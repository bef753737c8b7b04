using System.Net;
using System.Text.RegularExpressions;
using JobQueue.Contracts;
using JobQueue.Tests.Infrastructure;

namespace JobQueue.Tests.Api;

/// <summary>The dashboard's static files, served from the API assembly under /dashboard/.</summary>
[Collection(ApiHostGroup.Name)]
public sealed partial class DashboardFilesTests(ApiHost api)
{
    [Fact]
    public async Task Dashboard_without_slash_redirects()
    {
        using var client = api.Host.Server.CreateClient();
        using var response = await client.GetAsync("/dashboard");

        Assert.Equal(HttpStatusCode.MovedPermanently, response.StatusCode);
        Assert.Equal("/dashboard/", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Dashboard_serves_page_with_security_headers()
    {
        var response = await api.GetAsync("/dashboard/");

        Assert.Equal(200, response.Status);
        Assert.Equal("text/html", response.ContentType);
        Assert.Contains("<script type=\"module\" src=\"js/app.js\">", response.Body, StringComparison.Ordinal);
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.Equal("nosniff", string.Join("", response.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task Every_module_the_page_imports_is_served()
    {
        var index = await api.GetAsync("/dashboard/");
        var pending = new Queue<string>(["js/app.js", "app.css"]);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.TryDequeue(out var path) && seen.Count < 50)
        {
            if (!seen.Add(path))
            {
                continue;
            }

            var response = await api.GetAsync("/dashboard/" + path);
            Assert.True(response.Status == 200, $"/dashboard/{path} returned {response.Status}");
            foreach (Match import in ImportPattern().Matches(response.Body))
            {
                pending.Enqueue("js/" + import.Groups["file"].Value);
            }
        }

        Assert.Contains("js/overview.js", seen);
        Assert.Contains("js/jobs.js", seen);
        Assert.Contains("js/events.js", seen);
        Assert.Equal(200, index.Status);
    }

    [Fact]
    public async Task Unchanged_file_is_not_sent_again()
    {
        using var client = api.Host.Server.CreateClient();
        using var first = await client.GetAsync("/dashboard/js/app.js");
        Assert.Equal("text/javascript", first.Content.Headers.ContentType?.MediaType);
        var etag = first.Headers.ETag;
        Assert.NotNull(etag);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/js/app.js");
        request.Headers.IfNoneMatch.Add(etag);
        using var second = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task Missing_file_is_problem_not_found()
    {
        var response = await api.GetAsync("/dashboard/js/missing.js");

        Assert.Equal(404, response.Status);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal(ProblemTypes.NotFound, response.Json.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Dashboard_is_not_in_the_api_document()
    {
        var document = await api.GetAsync("/openapi/v1.json");

        Assert.DoesNotContain("/dashboard", document.Body, StringComparison.Ordinal);
    }

    // Relative imports of the dashboard's modules: import ... from './name.js'.
    [GeneratedRegex(@"from '\./(?<file>[a-z]+\.js)'")]
    private static partial Regex ImportPattern();
}
