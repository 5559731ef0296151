namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// Builds logical nodes, flattening nested chains (so evaluation recursion follows only parentheses and NOT) and
/// folding constants (<c>TRUE AND x</c> is <c>x</c>, <c>FALSE AND x</c> is FALSE; both hold in three-valued logic).
/// </summary>
internal static class SqlNodes
{
    public static SqlNode And(List<SqlNode> operands)
    {
        var kept = new List<SqlNode>(operands.Count);
        foreach (var operand in operands)
        {
            switch (operand)
            {
                case ConstantNode { Value: Truth.False }:
                    return ConstantNode.False;
                case ConstantNode { Value: Truth.True }:
                    continue;
                case AndNode chain:
                    kept.AddRange(chain.Operands);
                    break;
                default:
                    kept.Add(operand);
                    break;
            }
        }

        return kept.Count switch
        {
            0 => ConstantNode.True,
            1 => kept[0],
            _ => new AndNode([.. kept]),
        };
    }

    public static SqlNode Or(List<SqlNode> operands)
    {
        var kept = new List<SqlNode>(operands.Count);
        foreach (var operand in operands)
        {
            switch (operand)
            {
                case ConstantNode { Value: Truth.True }:
                    return ConstantNode.True;
                case ConstantNode { Value: Truth.False }:
                    continue;
                case OrNode chain:
                    kept.AddRange(chain.Operands);
                    break;
                default:
                    kept.Add(operand);
                    break;
            }
        }

        return kept.Count switch
        {
            0 => ConstantNode.False,
            1 => kept[0],
            _ => new OrNode([.. kept]),
        };
    }

    public static SqlNode Not(SqlNode operand) => operand switch
    {
        ConstantNode { Value: Truth.True } => ConstantNode.False,
        ConstantNode { Value: Truth.False } => ConstantNode.True,
        _ => new NotNode(operand),
    };
}
