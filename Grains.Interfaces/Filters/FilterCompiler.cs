using OrleansMq.Grains.Errors;
using OrleansMq.Grains.Messages;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Filters;

/// <summary>
/// Turns a <see cref="FilterExpression"/> into the store's <see cref="IMessageFilter"/>. The client SDK calls it to
/// refuse a malformed filter before anything is sent; the broker calls it again because it does not trust clients.
/// </summary>
/// <remarks>
/// Stateless and thread-safe. Compiling allocates (parse tree, UTF-8 copies of names and literals), so callers that
/// filter many pulls cache the result per expression (the queue grain does); evaluating a compiled filter allocates
/// nothing. Grammar, semantics and limits: <c>docs/filters.md</c>.
/// </remarks>
public static class FilterCompiler
{
    /// <summary>Longest accepted expression, in UTF-16 characters, for tag and SQL92 filters alike.</summary>
    public const int MaxExpressionLength = 4096;

    /// <summary>Compiles the expression; null means "match everything".</summary>
    /// <param name="expression">The filter; null, <see cref="FilterExpression.All"/> and the SQL92 literal <c>TRUE</c> match everything.</param>
    /// <exception cref="InvalidRequestException">
    /// The expression is malformed: the message quotes it and says what is wrong, at which character position
    /// (counted from 0) and what is allowed there.
    /// </exception>
    public static IMessageFilter? Compile(FilterExpression? expression) => expression switch
    {
        null => null,
        { Type: FilterType.Tag } => TagFilter.Parse(expression.Expression),
        { Type: FilterType.Sql92 } => SqlFilter.Parse(expression.Expression),
        _ => throw new InvalidRequestException($"Filter type {(int)expression.Type} is unknown; use Tag ({(int)FilterType.Tag}) or Sql92 ({(int)FilterType.Sql92})."),
    };
}
