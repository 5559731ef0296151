using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Filters;

/// <summary>Turns a <see cref="FilterExpression"/> into the store's <see cref="IMessageFilter"/>.</summary>
internal static class FilterCompiler
{
    /// <summary>Compiles the expression; null means "match everything".</summary>
    /// <exception cref="InvalidRequestException">The expression is malformed (the message says where).</exception>
    public static IMessageFilter? Compile(FilterExpression? expression) => expression switch
    {
        null => null,
        { Type: FilterType.Tag } => TagFilter.Parse(expression.Expression),
        { Type: FilterType.Sql92 } => throw new InvalidRequestException(
            $"SQL92 filter '{expression.Expression}' was refused: this broker evaluates tag expressions only."),
        _ => throw new InvalidRequestException($"Filter type {(int)expression.Type} is unknown; use Tag or Sql92."),
    };
}
