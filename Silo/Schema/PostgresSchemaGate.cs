using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace OrleansMq.Silo.Schema;

/// <summary>
/// Makes sure the PostgreSQL schema is current before Orleans uses the database. <see cref="BrokerHost.PrepareAsync"/>
/// runs it before the host starts, so a database problem ends the start with one clear line; as a safety net for
/// hosts that skip that step, it also runs first in the silo lifecycle (<see cref="ServiceLifecycleStage.First"/>,
/// before membership and grain storage initialize). It migrates at most once per process.
/// </summary>
/// <remarks>Thread-safe: concurrent callers share one run.</remarks>
internal sealed class PostgresSchemaGate(string connectionString, IOptions<SiloOptions> silo, ILogger<PostgresSchemaGate> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Lock _lock = new();
    private Task<SchemaMigrationResult>? _run;

    /// <summary>The connection string the silo's ADO.NET providers use.</summary>
    public string ConnectionString => connectionString;

    /// <summary>Creates or upgrades the schema, once; later calls return the first run's outcome.</summary>
    public Task<SchemaMigrationResult> EnsureAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_run is null || _run.IsCanceled)
            {
                _run = PostgresSchema.MigrateAsync(connectionString, $"{silo.Value.SiloName} on {Environment.MachineName}", logger, cancellationToken);
            }

            return _run;
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PostgresSchemaGate), ServiceLifecycleStage.First, EnsureAsync, _ => Task.CompletedTask);
}
