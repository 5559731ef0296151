namespace OrleansMq.Grains.Filters.Sql;

/// <summary>A comparison operator.</summary>
internal enum SqlComparison
{
    Equal = 0,
    NotEqual = 1,
    Less = 2,
    Greater = 3,
    LessOrEqual = 4,
    GreaterOrEqual = 5,
}

/// <summary>Operations on <see cref="SqlComparison"/>.</summary>
internal static class SqlComparisonExtensions
{
    public static bool IsEquality(this SqlComparison comparison) => comparison is SqlComparison.Equal or SqlComparison.NotEqual;

    /// <summary>Whether the operator holds for a three-way comparison result.</summary>
    public static bool Holds(this SqlComparison comparison, int order) => comparison switch
    {
        SqlComparison.Equal => order == 0,
        SqlComparison.NotEqual => order != 0,
        SqlComparison.Less => order < 0,
        SqlComparison.Greater => order > 0,
        SqlComparison.LessOrEqual => order <= 0,
        _ => order >= 0,
    };

    public static string Symbol(this SqlComparison comparison) => comparison switch
    {
        SqlComparison.Equal => "=",
        SqlComparison.NotEqual => "<>",
        SqlComparison.Less => "<",
        SqlComparison.Greater => ">",
        SqlComparison.LessOrEqual => "<=",
        _ => ">=",
    };
}
