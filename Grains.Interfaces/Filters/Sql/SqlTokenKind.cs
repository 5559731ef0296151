namespace OrleansMq.Grains.Filters.Sql;

/// <summary>Kinds of tokens of a SQL92 filter.</summary>
internal enum SqlTokenKind
{
    End = 0,
    Identifier,
    String,
    Number,
    LeftParen,
    RightParen,
    Comma,
    Equal,
    NotEqual,
    Less,
    Greater,
    LessOrEqual,
    GreaterOrEqual,
    And,
    Or,
    Not,
    Between,
    In,
    Is,
    Null,
    True,
    False,
}
