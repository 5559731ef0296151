using YamlDotNet.RepresentationModel;

namespace OrleansMq.Process.Tests.Fixtures;

/// <summary>The repository's docker-compose.yml, parsed (anchors resolved) into the parts the tests check.</summary>
public sealed class ComposeFile
{
    private ComposeFile(YamlMappingNode root) => Root = root;

    /// <summary>The document root.</summary>
    public YamlMappingNode Root { get; }

    /// <summary>Services by name.</summary>
    public IReadOnlyDictionary<string, YamlMappingNode> Services =>
        Mapping(Root, "services").Children.ToDictionary(p => Scalar(p.Key), p => (YamlMappingNode)p.Value);

    /// <summary>Names of the top-level named volumes.</summary>
    public IReadOnlyList<string> Volumes => Mapping(Root, "volumes").Children.Keys.Select(Scalar).ToArray();

    /// <summary>The broker services: those built from this repository's Dockerfile.</summary>
    public IReadOnlyDictionary<string, YamlMappingNode> Brokers =>
        Services.Where(s => s.Value.Children.ContainsKey("build")).ToDictionary(s => s.Key, s => s.Value);

    /// <summary>Loads docker-compose.yml from the repository root.</summary>
    public static ComposeFile Load()
    {
        using var reader = new StreamReader(Repository.PathOf("docker-compose.yml"));
        var stream = new YamlStream();
        stream.Load(reader);
        return new ComposeFile((YamlMappingNode)stream.Documents.Single().RootNode);
    }

    /// <summary>A service's environment as key/value pairs (map or <c>KEY=value</c> list form).</summary>
    public static IReadOnlyDictionary<string, string> Environment(YamlMappingNode service)
    {
        if (!service.Children.TryGetValue("environment", out var node))
        {
            return new Dictionary<string, string>();
        }

        return node switch
        {
            YamlMappingNode map => map.Children.ToDictionary(p => Scalar(p.Key), p => Scalar(p.Value)),
            YamlSequenceNode list => list.Children.Select(Scalar).Select(e => e.Split('=', 2)).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : ""),
            _ => throw new InvalidOperationException("environment is neither a map nor a list"),
        };
    }

    /// <summary>A string-list field (e.g. <c>command</c>, <c>ports</c>, <c>volumes</c>, <c>healthcheck.test</c>); empty when absent.</summary>
    public static IReadOnlyList<string> List(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) ? ((YamlSequenceNode)value).Children.Select(Scalar).ToArray() : [];

    /// <summary>A nested mapping.</summary>
    public static YamlMappingNode Mapping(YamlMappingNode node, string key) => (YamlMappingNode)node.Children[key];

    /// <summary>A scalar field, or null when absent.</summary>
    public static string? Value(YamlMappingNode node, string key) => node.Children.TryGetValue(key, out var value) ? Scalar(value) : null;

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";
}
