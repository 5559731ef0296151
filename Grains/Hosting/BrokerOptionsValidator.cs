using Microsoft.Extensions.Options;
using OrleansMq.Grains.Naming;
using OrleansMq.Grains.Routing;

namespace OrleansMq.Grains.Hosting;

/// <summary>Validates <see cref="BrokerOptions"/> at start; each message names the option, its value and the allowed range.</summary>
internal sealed class BrokerOptionsValidator : IValidateOptions<BrokerOptions>
{
    public ValidateOptionsResult Validate(string? name, BrokerOptions options)
    {
        var errors = new List<string>();
        if (options.Name is not null && NameValidator.ValidateBroker(options.Name) is { } nameError)
        {
            errors.Add($"BrokerOptions.Name: {nameError}");
        }

        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            errors.Add("BrokerOptions.DataDirectory is empty; give a directory path (default 'data').");
        }

        if (options.DefaultQueueCount is < 1 or > TopicConfig.MaxQueueCount)
        {
            errors.Add($"BrokerOptions.DefaultQueueCount is {options.DefaultQueueCount}; it must be between 1 and {TopicConfig.MaxQueueCount}.");
        }

        if (options.MaxPullWait < TimeSpan.Zero || options.MaxPullWait > TimeSpan.FromMinutes(5))
        {
            errors.Add($"BrokerOptions.MaxPullWait is {options.MaxPullWait}; it must be between 00:00:00 and 00:05:00.");
        }

        if (options.MaxPullMessages is < 1 or > 65_536)
        {
            errors.Add($"BrokerOptions.MaxPullMessages is {options.MaxPullMessages}; it must be between 1 and 65536.");
        }

        if (options.MaxPullBytes is < 1024 or > 256 * 1024 * 1024)
        {
            errors.Add($"BrokerOptions.MaxPullBytes is {options.MaxPullBytes}; it must be between 1024 and 268435456.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
