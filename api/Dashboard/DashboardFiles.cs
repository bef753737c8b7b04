using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;
using JobQueue.Api.Errors;

namespace JobQueue.Api.Dashboard;

/// <summary>
/// Serves the dashboard's static files, which are embedded in this assembly, under
/// <c>/dashboard/</c>. The page reads and changes everything through the public HTTP API, so it can
/// do nothing that the API does not allow the caller. The files need no build step and nothing is
/// downloaded at run time.
/// </summary>
internal static class DashboardFiles
{
    public const string BasePath = "/dashboard";

    private const string ResourcePrefix = "dashboard/";

    // The page loads only its own files and talks only to this origin; inline scripts and styles
    // are not used, so they are not allowed either.
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
        [".ico"] = "image/x-icon",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly Lazy<FrozenDictionary<string, DashboardFile>> Files = new(Load);

    public static void MapDashboard(this IEndpointRouteBuilder routes)
    {
        routes.MapGet(BasePath + "/{**path}", Serve).ExcludeFromDescription();
    }

    /// <summary>Names of the embedded files, relative to <c>/dashboard/</c>.</summary>
    public static IEnumerable<string> Names => Files.Value.Keys;

    private static IResult Serve(HttpContext context, string? path)
    {
        // The catch-all also matches /dashboard without the slash; the page's relative links need it.
        if (string.IsNullOrEmpty(path) && context.Request.Path.Value?.EndsWith('/') != true)
        {
            context.Response.Headers.Location = context.Request.PathBase + BasePath + "/";
            return Results.StatusCode(StatusCodes.Status301MovedPermanently);
        }

        var name = string.IsNullOrEmpty(path) ? "index.html" : path;
        if (!Files.Value.TryGetValue(name, out var file))
        {
            return ApiProblem.Create(context, StatusCodes.Status404NotFound, Contracts.ProblemTypes.NotFound,
                $"The dashboard has no file '{name}'. Open {BasePath}/ for the dashboard.").ToResult();
        }

        var headers = context.Response.Headers;
        headers.ETag = file.ETag;

        // Every load revalidates, so an upgraded server never mixes old and new modules.
        headers.CacheControl = "no-cache";
        headers.XContentTypeOptions = "nosniff";
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        if (context.Request.Headers.IfNoneMatch.Contains(file.ETag))
        {
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        return Results.Bytes(file.Content, file.ContentType);
    }

    private static FrozenDictionary<string, DashboardFile> Load()
    {
        var assembly = typeof(DashboardFiles).Assembly;
        var files = new Dictionary<string, DashboardFile>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[ResourcePrefix.Length..].Replace('\\', '/');
            var content = Read(assembly, resource);
            var contentType = ContentTypes.GetValueOrDefault(Path.GetExtension(name), "application/octet-stream");
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content))[..16] + "\"";
            files[name] = new DashboardFile(content, contentType, etag);
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded dashboard file {resource} could not be opened.");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private sealed record DashboardFile(byte[] Content, string ContentType, string ETag);
}
