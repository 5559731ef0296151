# syntax=docker/dockerfile:1
# The OrleansMq broker silo. Build context: the repository root.
#   docker build -t orleansmq-silo .
#   docker run --rm orleansmq-silo --help
# docker-compose.yml runs three of these against PostgreSQL (docs/cluster.md).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore from the project files alone first, so editing sources does not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY Storage/OrleansMq.Storage.csproj Storage/
COPY Grains.Interfaces/OrleansMq.Grains.Interfaces.csproj Grains.Interfaces/
COPY Grains/OrleansMq.Grains.csproj Grains/
COPY ClientSdk/OrleansMq.ClientSdk.csproj ClientSdk/
COPY Silo/OrleansMq.Silo.csproj Silo/
RUN dotnet restore Silo/OrleansMq.Silo.csproj

COPY Storage/ Storage/
COPY Grains.Interfaces/ Grains.Interfaces/
COPY Grains/ Grains/
COPY ClientSdk/ ClientSdk/
COPY Silo/ Silo/
RUN dotnet publish Silo/OrleansMq.Silo.csproj --configuration Release --no-restore --output /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./

# The data directory (commit log, broker identity) is a volume owned by the image's non-root user.
RUN mkdir /data && chown "$APP_UID" /data
USER $APP_UID
VOLUME /data

# In a container the silo advertises its own address (OrleansMq:Host:Address, e.g. the compose service name) but
# listens on all interfaces, so published ports and health checks on 127.0.0.1 reach it.
ENV OrleansMq__Broker__DataDirectory=/data \
    OrleansMq__Host__ListenOnAnyAddress=true

# Tiered compilation optimizes a method once it is hot instead of waiting until start-up stops compiling new methods,
# which under load takes seconds: a fresh broker reaches full speed 1–2 s sooner (docs/operations.md, "Runtime settings").
# An environment variable because the runtime reads this setting from nowhere else.
ENV DOTNET_TC_CallCountingDelayMs=0

# Silo-to-silo, client gateway, HTTP (console, dashboard, /metrics, /health): the defaults of OrleansMq:Host.
EXPOSE 11111 30000 8080
ENTRYPOINT ["dotnet", "OrleansMq.Silo.dll"]
