namespace OrleansMq.Grains.Messages;

/// <summary>A subscription filter evaluated on the broker.</summary>
/// <param name="Type">Tag or SQL92.</param>
/// <param name="Expression">The expression text.</param>
[GenerateSerializer, Immutable, Alias("OrleansMq.FilterExpression")]
public sealed record FilterExpression([property: Id(0)] FilterType Type, [property: Id(1)] string Expression)
{
    /// <summary>Matches every message.</summary>
    public static FilterExpression All { get; } = new(FilterType.Tag, "*");

    /// <summary>A tag expression such as <c>TagA || TagB</c>.</summary>
    public static FilterExpression Tags(string expression) => new(FilterType.Tag, expression);

    /// <summary>A SQL92 expression over user properties.</summary>
    public static FilterExpression Sql(string expression) => new(FilterType.Sql92, expression);

    /// <summary>True when the filter matches everything.</summary>
    public bool IsAll => Type == FilterType.Tag && (string.IsNullOrWhiteSpace(Expression) || Expression.Trim() == "*");
}
