namespace OrleansMq.Silo.Configuration;

/// <summary>How silos find each other and where grain state lives.</summary>
public enum ClusterMode
{
    /// <summary>One silo, localhost clustering, grain state in files in the data directory. No other service.</summary>
    Embedded = 0,

    /// <summary>Membership and grain state in PostgreSQL through the Orleans ADO.NET providers.</summary>
    Postgres = 1,
}
