namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// Recursive-descent parser of the SQL92 filter grammar (<c>docs/filters.md</c>); checks operand types and folds
/// constants while it builds the tree, so evaluation never meets a type error it could have refused here.
/// </summary>
/// <remarks>
/// <code>
/// filter     = or END
/// or         = and { OR and }
/// and        = not { AND not }
/// not        = NOT not | predicate
/// predicate  = "(" or ")" | operand [ tail ]          (no tail only for TRUE / FALSE)
/// tail       = compare operand
///            | [ NOT ] BETWEEN operand AND operand
///            | [ NOT ] IN "(" literal { "," literal } ")"
///            | IS [ NOT ] NULL
/// compare    = "=" | "&lt;&gt;" | "!=" | "&lt;" | "&gt;" | "&lt;=" | "&gt;="
/// operand    = identifier | string | number | TRUE | FALSE | NULL
/// </code>
/// Recursion is bounded by <see cref="SqlFilter.MaxNestingDepth"/> (each parenthesis and NOT is one level).
/// </remarks>
internal sealed class SqlParser
{
    private readonly string _expression;
    private readonly List<SqlToken> _tokens;
    private int _next;

    private SqlParser(string expression, List<SqlToken> tokens)
    {
        _expression = expression;
        _tokens = tokens;
    }

    private SqlToken Peek => _tokens[_next];

    /// <summary>Parses and checks <paramref name="expression"/>.</summary>
    /// <exception cref="Errors.InvalidRequestException">The expression is malformed; the message gives the position.</exception>
    public static SqlNode Parse(string? expression)
    {
        if (string.IsNullOrWhiteSpace(expression))
        {
            throw new Errors.InvalidRequestException(
                "SQL92 filter is empty; write a condition over message properties such as \"region = 'eu' AND price > 10\", or TRUE to match every message.");
        }

        if (expression.Length > FilterCompiler.MaxExpressionLength)
        {
            throw SqlErrors.At(
                expression,
                FilterCompiler.MaxExpressionLength,
                $"the expression is {expression.Length} characters long; at most {FilterCompiler.MaxExpressionLength} are allowed");
        }

        var parser = new SqlParser(expression, SqlLexer.Tokenize(expression));
        var root = parser.ParseOr(0);
        if (parser.Peek.Kind != SqlTokenKind.End)
        {
            var extra = parser.Peek;
            throw parser.Error(
                extra,
                extra.Kind == SqlTokenKind.RightParen
                    ? "')' has no matching '('"
                    : $"expected AND, OR or the end of the expression after a complete condition but found {parser.Describe(extra)}");
        }

        return root;
    }

    private SqlToken Advance() => _tokens[_next++];

    private Errors.InvalidRequestException Error(SqlToken at, string problem) => SqlErrors.At(_expression, at.Position, problem);

    private Errors.InvalidRequestException Error(SqlOperand at, string problem) => SqlErrors.At(_expression, at.Position, problem);

    private string Describe(SqlToken token) => SqlErrors.Describe(_expression, token);

    private string Source(SqlToken token) => _expression.Substring(token.Position, token.Length);

    private void Enter(int depth, SqlToken at)
    {
        if (depth > SqlFilter.MaxNestingDepth)
        {
            throw Error(at, $"the expression nests deeper than {SqlFilter.MaxNestingDepth} levels of parentheses and NOT; simplify it");
        }
    }

    private SqlNode ParseOr(int depth)
    {
        var first = ParseAnd(depth);
        if (Peek.Kind != SqlTokenKind.Or)
        {
            return first;
        }

        var operands = new List<SqlNode> { first };
        while (Peek.Kind == SqlTokenKind.Or)
        {
            Advance();
            operands.Add(ParseAnd(depth));
        }

        return SqlNodes.Or(operands);
    }

    private SqlNode ParseAnd(int depth)
    {
        var first = ParseNot(depth);
        if (Peek.Kind != SqlTokenKind.And)
        {
            return first;
        }

        var operands = new List<SqlNode> { first };
        while (Peek.Kind == SqlTokenKind.And)
        {
            Advance();
            operands.Add(ParseNot(depth));
        }

        return SqlNodes.And(operands);
    }

    private SqlNode ParseNot(int depth)
    {
        if (Peek.Kind != SqlTokenKind.Not)
        {
            return ParsePredicate(depth);
        }

        Enter(depth + 1, Advance());
        return SqlNodes.Not(ParseNot(depth + 1));
    }

    private SqlNode ParsePredicate(int depth)
    {
        if (Peek.Kind == SqlTokenKind.LeftParen)
        {
            var open = Advance();
            Enter(depth + 1, open);
            var inner = ParseOr(depth + 1);
            if (Peek.Kind != SqlTokenKind.RightParen)
            {
                throw Error(Peek, $"expected ')' to close the '(' at position {open.Position} but found {Describe(Peek)}");
            }

            Advance();
            return inner;
        }

        var left = ParseOperand("at the start of a condition");
        var next = Peek;
        switch (next.Kind)
        {
            case SqlTokenKind.Equal:
                return Compare(left, SqlComparison.Equal, Advance());
            case SqlTokenKind.NotEqual:
                return Compare(left, SqlComparison.NotEqual, Advance());
            case SqlTokenKind.Less:
                return Compare(left, SqlComparison.Less, Advance());
            case SqlTokenKind.Greater:
                return Compare(left, SqlComparison.Greater, Advance());
            case SqlTokenKind.LessOrEqual:
                return Compare(left, SqlComparison.LessOrEqual, Advance());
            case SqlTokenKind.GreaterOrEqual:
                return Compare(left, SqlComparison.GreaterOrEqual, Advance());
            case SqlTokenKind.Between:
                Advance();
                return ParseBetween(left, negated: false);
            case SqlTokenKind.In:
                Advance();
                return ParseIn(left, negated: false);
            case SqlTokenKind.Is:
                Advance();
                return ParseIsNull(left);
            case SqlTokenKind.Not:
                Advance();
                switch (Advance())
                {
                    case { Kind: SqlTokenKind.Between }:
                        return ParseBetween(left, negated: true);
                    case { Kind: SqlTokenKind.In }:
                        return ParseIn(left, negated: true);
                    case var other:
                        throw Error(other, $"expected BETWEEN or IN after NOT but found {Describe(other)}; to negate a condition write NOT before it");
                }

            default:
                if (left.Kind == SqlOperandKind.Boolean)
                {
                    return ConstantNode.Of(left.Boolean);
                }

                throw Error(
                    next,
                    $"expected a comparison after {Quote(left)} but found {Describe(next)}; "
                    + "use =, <>, !=, <, >, <=, >=, [NOT] BETWEEN … AND …, [NOT] IN (…) or IS [NOT] NULL");
        }
    }

    private SqlOperand ParseOperand(string where)
    {
        var token = Advance();
        switch (token.Kind)
        {
            case SqlTokenKind.Identifier:
                return SqlOperand.Property(token.Text!, token.Position);
            case SqlTokenKind.String:
                return SqlOperand.String(token.Text!, token.Position);
            case SqlTokenKind.Number:
                return SqlOperand.FromNumber(token.Number, token.Position);
            case SqlTokenKind.True:
            case SqlTokenKind.False:
                return SqlOperand.FromBoolean(token.Kind == SqlTokenKind.True, token.Position);
            case SqlTokenKind.Null:
                return SqlOperand.Null(token.Position);
            default:
                var hint = token.IsKeyword
                    ? " (AND, OR, NOT, BETWEEN, IN, IS, NULL, TRUE and FALSE are keywords in any case and cannot be property names)"
                    : "";
                throw Error(token, $"expected a value {where} but found {Describe(token)}; a value is {SqlErrors.ValueKinds}{hint}");
        }
    }

    private SqlNode Compare(SqlOperand left, SqlComparison comparison, SqlToken operatorToken)
    {
        var symbol = Source(operatorToken);
        var right = ParseOperand($"after '{symbol}'");
        foreach (var side in (ReadOnlySpan<SqlOperand>)[left, right])
        {
            if (side.Kind == SqlOperandKind.Null)
            {
                throw Error(side, $"NULL cannot be compared with '{symbol}' (the result is always unknown); test a property with IS NULL or IS NOT NULL");
            }

            if (!comparison.IsEquality() && side.Kind is SqlOperandKind.String or SqlOperandKind.Boolean)
            {
                throw Error(
                    side,
                    $"'{symbol}' compares numbers only but {Quote(side)} is {SqlErrors.Describe(side.Kind)}; strings and booleans support = and <> (strings also IN)");
            }
        }

        if (left.IsLiteral && right.IsLiteral)
        {
            if (left.Kind != right.Kind)
            {
                throw Error(right, $"'{symbol}' compares {SqlErrors.Describe(left.Kind)} with {SqlErrors.Describe(right.Kind)}; both sides must have the same type");
            }

            var order = left.Kind switch
            {
                SqlOperandKind.Number => SqlNumber.Compare(left.Number, right.Number),
                SqlOperandKind.String => string.CompareOrdinal(left.Text, right.Text),
                _ => left.Boolean.CompareTo(right.Boolean),
            };
            return ConstantNode.Of(comparison.Holds(order));
        }

        var negated = comparison == SqlComparison.NotEqual;
        if (left.Kind == SqlOperandKind.Boolean || right.Kind == SqlOperandKind.Boolean)
        {
            var literal = left.IsLiteral ? left : right;
            return new BooleanEqualityNode(left.IsLiteral ? right : left, literal.Boolean, negated);
        }

        if (!comparison.IsEquality() || left.Kind == SqlOperandKind.Number || right.Kind == SqlOperandKind.Number)
        {
            return new NumericComparisonNode(left, comparison, right);
        }

        // Two properties, or a property and a string: exact text.
        return new TextEqualityNode(left, right, negated);
    }

    private SqlNode ParseBetween(SqlOperand value, bool negated)
    {
        RequireNumeric(value, "BETWEEN");
        var low = ParseOperand("after BETWEEN");
        RequireNumeric(low, "BETWEEN");
        if (Peek.Kind != SqlTokenKind.And)
        {
            throw Error(Peek, $"expected AND between the bounds of BETWEEN but found {Describe(Peek)}; write a BETWEEN 1 AND 5");
        }

        Advance();
        var high = ParseOperand("after BETWEEN … AND");
        RequireNumeric(high, "BETWEEN");
        if (value.IsLiteral && low.IsLiteral && high.IsLiteral)
        {
            var inside = SqlNumber.Compare(value.Number, low.Number) >= 0 && SqlNumber.Compare(value.Number, high.Number) <= 0;
            return ConstantNode.Of(inside != negated);
        }

        return new BetweenNode(value, low, high, negated);
    }

    private void RequireNumeric(SqlOperand operand, string what)
    {
        if (operand.Kind is not (SqlOperandKind.Property or SqlOperandKind.Number))
        {
            throw Error(operand, $"{what} compares numbers only but {Quote(operand)} is {SqlErrors.Describe(operand.Kind)}; use property names and numbers");
        }
    }

    private SqlNode ParseIn(SqlOperand property, bool negated)
    {
        if (property.Kind != SqlOperandKind.Property)
        {
            throw Error(property, $"IN tests a property but {Quote(property)} is {SqlErrors.Describe(property.Kind)}; write a property name before IN");
        }

        if (Peek.Kind != SqlTokenKind.LeftParen)
        {
            throw Error(Peek, $"expected '(' after IN but found {Describe(Peek)}; write IN ('a', 'b') or IN (1, 2)");
        }

        Advance();
        if (Peek.Kind == SqlTokenKind.RightParen)
        {
            throw Error(Peek, "the IN list is empty; give at least one string or number");
        }

        var strings = new List<string>();
        var numbers = new List<SqlNumber>();
        var kind = Peek.Kind;
        while (true)
        {
            var item = Advance();
            if (item.Kind is not (SqlTokenKind.String or SqlTokenKind.Number))
            {
                throw Error(item, $"expected a string or a number in the IN list but found {Describe(item)}; IN lists hold literals only");
            }

            if (item.Kind != kind)
            {
                throw Error(item, $"the IN list mixes strings and numbers at {Describe(item)}; all items must have the type of the first");
            }

            if (strings.Count + numbers.Count == SqlFilter.MaxInListItems)
            {
                throw Error(item, $"the IN list has more than {SqlFilter.MaxInListItems} items; split it or filter on another property");
            }

            if (kind == SqlTokenKind.String)
            {
                strings.Add(item.Text!);
            }
            else
            {
                numbers.Add(item.Number);
            }

            var separator = Advance();
            if (separator.Kind == SqlTokenKind.RightParen)
            {
                break;
            }

            if (separator.Kind != SqlTokenKind.Comma)
            {
                throw Error(separator, $"expected ',' or ')' in the IN list but found {Describe(separator)}");
            }
        }

        return kind == SqlTokenKind.String
            ? new TextInNode(property, new Utf8Set(strings), negated)
            : new NumberInNode(property, numbers, negated);
    }

    private SqlNode ParseIsNull(SqlOperand property)
    {
        if (property.Kind != SqlOperandKind.Property)
        {
            throw Error(property, $"IS NULL tests a property but {Quote(property)} is {SqlErrors.Describe(property.Kind)}; write a property name before IS");
        }

        var negated = Peek.Kind == SqlTokenKind.Not;
        if (negated)
        {
            Advance();
        }

        if (Peek.Kind != SqlTokenKind.Null)
        {
            throw Error(Peek, $"expected NULL after IS{(negated ? " NOT" : "")} but found {Describe(Peek)}; write IS NULL or IS NOT NULL");
        }

        Advance();
        return new IsNullNode(property, negated);
    }

    private string Quote(SqlOperand operand) => operand.Kind switch
    {
        SqlOperandKind.Property => $"'{operand.Text}'",
        SqlOperandKind.String => $"the string '{operand.Text}'",
        _ => operand.Text,
    };
}
