namespace OrleansMq.Grains.Filters.Sql;

/// <summary>What an operand of a comparison is; literals have their type at parse time, properties only when read.</summary>
internal enum SqlOperandKind
{
    Property = 0,
    String = 1,
    Number = 2,
    Boolean = 3,
    Null = 4,
}
