using System.Text.RegularExpressions;
using System.Xml.Linq;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.Silo.Configuration;

namespace OrleansMq.Process.Tests.Deployment;

/// <summary>The silo's Dockerfile, checked against the repository: what it copies exists and is enough to build the silo.</summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Cluster")]
public sealed partial class DockerfileTests
{
    private static readonly string[] Lines = File.ReadAllLines(Repository.PathOf("Dockerfile"));

    [Fact]
    public void Stages_BuildOnTheSdkAndRunOnAspNet()
    {
        var stages = Lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToArray();

        Assert.Equal(["FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", "FROM mcr.microsoft.com/dotnet/aspnet:10.0"], stages);
    }

    [Fact]
    public void CopiedPaths_ExistAndCoverEveryProjectTheSiloReferences()
    {
        var copied = Lines
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            .ToArray();

        Assert.All(copied, path => Assert.True(File.Exists(Repository.PathOf(path)) || Directory.Exists(Repository.PathOf(path)), $"COPY {path}: not in the repository"));
        foreach (var project in ProjectClosure(Repository.PathOf("Silo", "OrleansMq.Silo.csproj")))
        {
            var directory = Path.GetFileName(Path.GetDirectoryName(project))!;
            Assert.Contains(directory + "/", copied);
            Assert.Contains($"{directory}/{Path.GetFileName(project)}", copied);
        }
    }

    [Fact]
    public void DockerIgnore_LetsEveryCopiedPathIntoTheBuildContext()
    {
        var ignore = File.ReadAllLines(Repository.PathOf(".dockerignore")).Where(l => l.Length > 0 && l[0] != '#').ToArray();
        var copiedRoots = Lines
            .Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from", StringComparison.Ordinal))
            .SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
            .Select(p => p.Split('/')[0] + (p.Contains('/', StringComparison.Ordinal) ? "/" : ""))
            .Distinct();

        Assert.Equal("*", ignore[0]);
        Assert.All(copiedRoots, root => Assert.Contains("!" + root, ignore));
    }

    [Fact]
    public void Entrypoint_RunsTheSiloAssembly_AndExposesTheDefaultPorts()
    {
        var assembly = Path.GetFileName(Repository.SiloAssembly);
        var defaults = new SiloHostOptions();

        Assert.Contains($"ENTRYPOINT [\"dotnet\", \"{assembly}\"]", Lines);
        Assert.Contains($"EXPOSE {defaults.SiloPort} {defaults.GatewayPort} {defaults.HttpPort}", Lines);
    }

    [Fact]
    public void Environment_UsesRealSettingsOfTheSilo()
    {
        var environment = Environment();

        Assert.Equal("/data", environment["OrleansMq__Broker__DataDirectory"]);
        Assert.Equal("true", environment["OrleansMq__Host__ListenOnAnyAddress"]);
        Assert.Contains("VOLUME /data", Lines);
    }

    /// <summary>The <c>ENV</c> settings of the runtime image (<c>KEY=value</c> pairs, continued lines joined).</summary>
    internal static Dictionary<string, string> Environment()
    {
        var text = string.Join('\n', Lines).Replace("\\\n", " ", StringComparison.Ordinal);
        var values = new Dictionary<string, string>();
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)))
        {
            foreach (Match pair in EnvPair().Matches(line[4..]))
            {
                values[pair.Groups[1].Value] = pair.Groups[2].Value;
            }
        }

        return values;
    }

    /// <summary>The project and every project it references, transitively.</summary>
    private static HashSet<string> ProjectClosure(string project)
    {
        var closure = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(project)]);
        while (pending.TryPop(out var next))
        {
            if (!closure.Add(next))
            {
                continue;
            }

            foreach (var reference in XDocument.Load(next).Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(next)!, include)));
            }
        }

        return closure;
    }

    [GeneratedRegex(@"([A-Za-z_][A-Za-z0-9_]*)=(\S+)")]
    private static partial Regex EnvPair();
}
