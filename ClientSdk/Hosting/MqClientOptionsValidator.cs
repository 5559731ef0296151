using Microsoft.Extensions.Options;

namespace OrleansMq.Client.Hosting;

/// <summary>Validates <see cref="MqClientOptions"/> at start.</summary>
internal sealed class MqClientOptionsValidator : IValidateOptions<MqClientOptions>
{
    public ValidateOptionsResult Validate(string? name, MqClientOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
