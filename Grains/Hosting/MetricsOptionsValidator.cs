using Microsoft.Extensions.Options;

namespace OrleansMq.Grains.Hosting;

/// <summary>Validates <see cref="MetricsOptions"/> at start.</summary>
internal sealed class MetricsOptionsValidator : IValidateOptions<MetricsOptions>
{
    public ValidateOptionsResult Validate(string? name, MetricsOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
