using System.Security.Cryptography;
using System.Text;

namespace OrleansMq.Silo.Schema;

/// <summary>One step of the PostgreSQL schema: SQL applied once, in version order, inside the migration transaction.</summary>
/// <param name="Version">Position in the sequence, from 1 without gaps.</param>
/// <param name="Name">Short description (the file name without the version prefix).</param>
/// <param name="Sql">Statements to run; any mix of DDL and DML, no transaction control.</param>
public sealed record SchemaMigration(int Version, string Name, string Sql)
{
    /// <summary>
    /// SHA-256 (hex) of the SQL with line endings normalized to LF. Stored when the migration is applied and compared on
    /// every start, so an edited migration is detected instead of silently diverging between databases.
    /// </summary>
    public string Checksum => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql.Replace("\r\n", "\n", StringComparison.Ordinal))));
}
