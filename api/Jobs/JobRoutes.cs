using System.Globalization;

namespace JobQueue.Api.Jobs;

internal static class JobRoutes
{
    public static string JobPath(long id) => "/v1/jobs/" + id.ToString(CultureInfo.InvariantCulture);
}
