using System.Text.Json;
using System.Text.Json.Serialization;

namespace OrleansMq.Cli.Output;

/// <summary><c>--json</c>: one JSON document on stdout (camelCase, enums as names, times ISO 8601), nothing else there.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter() },
    };

    public static void Write(TextWriter output, object value) => output.WriteLine(JsonSerializer.Serialize(value, Options));
}
