using JobQueue.Contracts;

namespace JobQueue.Api.Access;

/// <summary>
/// The scope each request needs, by method and path alone, so that a new endpoint is covered
/// without code of its own: every <c>GET</c> needs <c>read</c>, the enqueue routes need
/// <c>enqueue</c>, and every other request needs <c>admin</c>. Key management, the audit log and
/// webhook endpoints (whose extra headers may hold credentials) need <c>admin</c> for reading
/// too. Probes, the metrics scrape, the API description and the dashboard's static page are
/// public; the dashboard's own API calls carry a key like any client's.
/// </summary>
public static class RouteScopes
{
    private static readonly string[] PublicPrefixes = ["/healthz", "/metrics", "/swagger", "/openapi", "/dashboard"];
    private static readonly string[] AdminReadPrefixes = ["/v1/keys", "/v1/audit", "/v1/endpoints"];
    private static readonly string[] EnqueuePaths = ["/v1/jobs", "/v1/jobs/batch", "/v1/batches"];

    /// <summary>Returns the scope the request needs, or null for a public path that needs no key.</summary>
    public static string? Required(string method, PathString path)
    {
        if (PublicPrefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var value = (path.Value ?? "").TrimEnd('/');
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method))
        {
            return AdminReadPrefixes.Any(prefix => path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
                ? ApiKeyScopes.Admin
                : ApiKeyScopes.Read;
        }

        if (HttpMethods.IsPost(method) && EnqueuePaths.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            return ApiKeyScopes.Enqueue;
        }

        return ApiKeyScopes.Admin;
    }
}
