# syntax=docker/dockerfile:1
#
# Container images of the API and the worker, built from one build stage:
#
#   docker build --target api -t jobqueue-api .
#   docker build --target worker -t jobqueue-worker .
#
# Both hosts read the PostgreSQL connection string from the ConnectionStrings__JobQueue
# environment variable, for example:
#
#   docker run -p 8080:8080 \
#     -e ConnectionStrings__JobQueue="Host=db;Database=jobqueue;Username=jobqueue;Password=..." \
#     jobqueue-api
#
# The API requires API keys. Create the first one with the admin command, which prints it once:
#
#   docker run --rm -e ConnectionStrings__JobQueue="..." jobqueue-api keys create --name ops --scopes admin
#
# The keyless mode (Api__Auth__Mode=none) is rejected here, because the image listens on every
# interface (ASPNETCORE_HTTP_PORTS).
#
# The build stage runs scripts/publish, the same command the end-to-end tests run.
# NOTE: nothing builds these images in CI, because no Docker engine runs there. A change
# that breaks only the image build, such as a needed file matched by .dockerignore, goes unnoticed.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
# The cache mount keeps restored NuGet packages between builds without adding them to a layer.
RUN --mount=type=cache,target=/root/.nuget/packages \
    bash scripts/publish /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS api
WORKDIR /app/api
COPY --from=build /app/api .
# The .NET 10 base images already set ASPNETCORE_HTTP_PORTS=8080 and APP_UID=1654 (the
# user "app"), but run as root unless USER is set. The port is repeated so it sits next to EXPOSE.
ENV ASPNETCORE_HTTP_PORTS=8080
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/api/JobQueue.Api.dll"]

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS worker
WORKDIR /app/worker
COPY --from=build /app/worker .
# Health server: /healthz/live, /healthz/ready and the Prometheus scrape endpoint /metrics.
ENV Worker__HealthUrls=http://+:8080
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/worker/JobQueue.Worker.dll"]
