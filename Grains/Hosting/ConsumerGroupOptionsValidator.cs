using Microsoft.Extensions.Options;

namespace OrleansMq.Grains.Hosting;

/// <summary>Validates <see cref="ConsumerGroupOptions"/> at start.</summary>
internal sealed class ConsumerGroupOptionsValidator : IValidateOptions<ConsumerGroupOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsumerGroupOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
