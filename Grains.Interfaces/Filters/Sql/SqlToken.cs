namespace OrleansMq.Grains.Filters.Sql;

/// <summary>A token: its kind, where it is in the expression, and its value (name, unescaped string or number).</summary>
internal readonly record struct SqlToken(SqlTokenKind Kind, int Position, int Length, string? Text = null, SqlNumber Number = default)
{
    public bool IsKeyword => Kind >= SqlTokenKind.And;
}
