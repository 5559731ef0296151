using System.Security.Cryptography;
using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Naming;

namespace OrleansMq.Grains.Brokers;

/// <summary>
/// Resolves the broker's stable name: the configured one, else the one persisted in the data directory, else a new
/// one persisted there. A data directory belongs to one broker for life; starting it under another name is refused.
/// </summary>
internal static class BrokerIdentity
{
    /// <summary>File in the data directory holding the broker name.</summary>
    public const string FileName = "broker.name";

    public static string Resolve(string? configuredName, string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, FileName);
        var persisted = File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        if (persisted is not null && NameValidator.ValidateBroker(persisted) is { } invalid)
        {
            throw new OrleansMqException($"The broker name persisted in '{path}' is invalid: {invalid} Fix or delete the file.");
        }

        if (configuredName is not null)
        {
            if (persisted is not null && !string.Equals(persisted, configuredName, StringComparison.Ordinal))
            {
                throw new OrleansMqException(
                    $"Data directory '{Path.GetFullPath(dataDirectory)}' belongs to broker '{persisted}', but this silo is configured as broker "
                    + $"'{configuredName}'. Use a different data directory or configure the name '{persisted}'.");
            }

            if (persisted is null)
            {
                WriteDurably(path, configuredName);
            }

            return configuredName;
        }

        if (persisted is not null)
        {
            return persisted;
        }

        var created = "broker-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        WriteDurably(path, created);
        return created;
    }

    private static void WriteDurably(string path, string content) =>
        Storage.DurableFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(content + "\n"));
}
