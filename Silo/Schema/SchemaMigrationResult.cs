namespace OrleansMq.Silo.Schema;

/// <summary>What <see cref="PostgresSchema.MigrateAsync(string, string, Microsoft.Extensions.Logging.ILogger, CancellationToken)"/> found and did.</summary>
/// <param name="PreviousVersion">Highest version applied before this run (0 for an empty database).</param>
/// <param name="CurrentVersion">Highest version applied after this run.</param>
/// <param name="Applied">Versions this run applied, in order; empty when the schema was up to date.</param>
/// <param name="Elapsed">Time spent, including the wait for another silo's migration.</param>
public sealed record SchemaMigrationResult(int PreviousVersion, int CurrentVersion, IReadOnlyList<int> Applied, TimeSpan Elapsed)
{
    /// <summary>True when the database already had every migration this build knows.</summary>
    public bool WasUpToDate => Applied.Count == 0;
}
