using System.Reflection;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>Paths recorded at build time: the repository root and the silo assembly the tests launch.</summary>
public static class Repository
{
    /// <summary>Root of the repository (holds OrleansMq.sln).</summary>
    public static string Root { get; } = Metadata("OrleansMq.RepositoryRoot");

    /// <summary>The built <c>OrleansMq.Silo.dll</c>, next to its runtimeconfig, deps and appsettings.</summary>
    public static string SiloAssembly { get; } = Metadata("OrleansMq.SiloAssembly");

    /// <summary>The built <c>orleansmq.dll</c> (the admin CLI).</summary>
    public static string CliAssembly { get; } = Metadata("OrleansMq.CliAssembly");

    /// <summary>A path under the repository root.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Metadata(string key)
    {
        var value = typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == key)?.Value;
        return string.IsNullOrEmpty(value) ? throw new InvalidOperationException($"Assembly metadata {key} is missing; build the test project with dotnet build.") : value;
    }
}
