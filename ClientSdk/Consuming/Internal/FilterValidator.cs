using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Filters;
using OrleansMq.Grains.Messages;

namespace OrleansMq.Client.Consuming.Internal;

/// <summary>
/// Refuses a malformed filter on the client, with the broker's own compiler and message (expression, position, what
/// is allowed), before anything is sent. The broker checks again: it does not trust clients.
/// </summary>
internal static class FilterValidator
{
    /// <exception cref="ArgumentException">The filter is malformed; the inner exception is the compiler's.</exception>
    public static void Validate(FilterExpression? filter, string parameterName)
    {
        try
        {
            FilterCompiler.Compile(filter);
        }
        catch (InvalidRequestException e)
        {
            throw new ArgumentException(e.Message, parameterName, e);
        }
    }
}
