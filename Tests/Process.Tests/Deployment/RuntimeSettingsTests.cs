using System.Text.Json;
using OrleansMq.Process.Tests.Fixtures;

namespace OrleansMq.Process.Tests.Deployment;

/// <summary>
/// The .NET runtime settings a broker is started with that only an environment variable can give (docs/operations.md,
/// "Runtime settings"): every way the repository starts a broker sets them. scripts/cluster.sh is checked on its running
/// brokers (<see cref="ClusterScriptTests"/>).
/// </summary>
[Trait("Suite", "BVT")]
[Trait("Area", "Cluster")]
public sealed class RuntimeSettingsTests
{
    /// <summary>Name and value of each variable.</summary>
    internal static readonly (string Name, string Value)[] BrokerEnvironment = [("DOTNET_TC_CallCountingDelayMs", "0")];

    [Fact]
    public void Dockerfile_SetsTheBrokerEnvironment()
    {
        var environment = DockerfileTests.Environment();

        Assert.All(BrokerEnvironment, v => Assert.True(environment.TryGetValue(v.Name, out var value) && value == v.Value, $"the Dockerfile does not set ENV {v.Name}={v.Value}"));
    }

    [Fact]
    public void DotnetRunOfTheSilo_SetsTheBrokerEnvironment()
    {
        // `dotnet run --project Silo` (README) applies the first profile of Properties/launchSettings.json.
        using var settings = JsonDocument.Parse(File.ReadAllText(Repository.PathOf("Silo", "Properties", "launchSettings.json")));
        var profile = settings.RootElement.GetProperty("profiles").EnumerateObject().First().Value;
        var variables = profile.GetProperty("environmentVariables");

        Assert.Equal("Project", profile.GetProperty("commandName").GetString());
        Assert.All(BrokerEnvironment, v => Assert.True(variables.TryGetProperty(v.Name, out var value) && value.GetString() == v.Value, $"launchSettings.json does not set {v.Name}={v.Value}"));
    }
}
