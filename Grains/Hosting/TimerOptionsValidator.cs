using Microsoft.Extensions.Options;
using OrleansMq.Storage.Configuration;

namespace OrleansMq.Grains.Hosting;

/// <summary>Validates <see cref="TimerOptions"/> at start, including against the store's retention.</summary>
internal sealed class TimerOptionsValidator(IOptions<MessageStoreOptions> store) : IValidateOptions<TimerOptions>
{
    public ValidateOptionsResult Validate(string? name, TimerOptions options)
    {
        var errors = new List<string>(options.Validate());
        var retention = store.Value.Retention;
        if (options.RerollAge >= retention)
        {
            errors.Add($"TimerOptions.RerollAge is {options.RerollAge}; it must be below the store retention ({retention}) or pending timers would be deleted.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
