using Microsoft.Extensions.Options;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Grains.Hosting;

/// <summary>Validates <see cref="TransactionOptions"/> at start, including against the store's retention.</summary>
internal sealed class TransactionOptionsValidator(IOptions<MessageStoreOptions> store) : IValidateOptions<TransactionOptions>
{
    public ValidateOptionsResult Validate(string? name, TransactionOptions options)
    {
        var errors = new List<string>(options.Validate());
        var retention = store.Value.Retention;
        if (errors.Count == 0 && options.MaxPendingTime >= retention)
        {
            errors.Add($"TransactionOptions: a half message may stay pending for {options.MaxPendingTime} (TransactionTimeout + CheckInterval × (MaxChecks − 1)); "
                + $"it must be below the store retention ({retention}) or pending half messages would be deleted.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
