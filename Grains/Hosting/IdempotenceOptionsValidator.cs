using Microsoft.Extensions.Options;

namespace OrleansMq.Grains.Hosting;

/// <summary>Validates <see cref="IdempotenceOptions"/> at start.</summary>
internal sealed class IdempotenceOptionsValidator : IValidateOptions<IdempotenceOptions>
{
    public ValidateOptionsResult Validate(string? name, IdempotenceOptions options) =>
        options.Validate() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
}
