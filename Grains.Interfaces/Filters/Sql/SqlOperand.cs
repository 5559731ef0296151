using System.Text;
using OrleansMq.Storage.Codec;

namespace OrleansMq.Grains.Filters.Sql;

/// <summary>
/// One side of a comparison: a property (looked up in the record by its pre-encoded UTF-8 name) or a literal (kept in
/// the form the evaluator compares: UTF-8 bytes, a parsed number or a boolean).
/// </summary>
/// <remarks>Immutable; the lookups allocate nothing and return spans into the caller's properties buffer.</remarks>
internal sealed class SqlOperand
{
    private static readonly byte[] TrueText = "true"u8.ToArray();
    private static readonly byte[] FalseText = "false"u8.ToArray();

    private readonly byte[] _utf8;

    private SqlOperand(SqlOperandKind kind, string text, byte[] utf8, SqlNumber number, bool boolean, int position)
    {
        Kind = kind;
        Text = text;
        _utf8 = utf8;
        Number = number;
        Boolean = boolean;
        Position = position;
    }

    public SqlOperandKind Kind { get; }

    /// <summary>The property name or the string literal's value.</summary>
    public string Text { get; }

    public SqlNumber Number { get; }

    public bool Boolean { get; }

    /// <summary>Where the operand starts in the expression, for error messages.</summary>
    public int Position { get; }

    public bool IsLiteral => Kind != SqlOperandKind.Property;

    public static SqlOperand Property(string name, int position) =>
        new(SqlOperandKind.Property, name, Encoding.UTF8.GetBytes(name), default, false, position);

    public static SqlOperand String(string value, int position) =>
        new(SqlOperandKind.String, value, Encoding.UTF8.GetBytes(value), default, false, position);

    public static SqlOperand FromNumber(SqlNumber value, int position) =>
        new(SqlOperandKind.Number, value.ToString(), [], value, false, position);

    public static SqlOperand FromBoolean(bool value, int position) =>
        new(SqlOperandKind.Boolean, value ? "TRUE" : "FALSE", [], default, value, position);

    public static SqlOperand Null(int position) => new(SqlOperandKind.Null, "NULL", [], default, false, position);

    /// <summary>True when the property is present (always true for a literal).</summary>
    public bool IsPresent(ReadOnlySpan<byte> properties) =>
        Kind != SqlOperandKind.Property || MessageProperties.TryGetValue(properties, _utf8, out _);

    /// <summary>The property's value or the string literal, as UTF-8; false when the property is missing.</summary>
    public bool TryGetText(ReadOnlySpan<byte> properties, out ReadOnlySpan<byte> value)
    {
        if (Kind == SqlOperandKind.Property)
        {
            return MessageProperties.TryGetValue(properties, _utf8, out value);
        }

        value = _utf8;
        return true;
    }

    /// <summary>The value as a number; false when the property is missing or its value is not a decimal number.</summary>
    public bool TryGetNumber(ReadOnlySpan<byte> properties, out SqlNumber value)
    {
        if (Kind != SqlOperandKind.Property)
        {
            value = Number;
            return true;
        }

        if (MessageProperties.TryGetValue(properties, _utf8, out var text))
        {
            return SqlNumber.TryParse(text, out value);
        }

        value = default;
        return false;
    }

    /// <summary>The value as a boolean: <c>true</c>/<c>false</c> in any case; unknown when missing or anything else.</summary>
    public Truth GetBoolean(ReadOnlySpan<byte> properties)
    {
        if (Kind != SqlOperandKind.Property)
        {
            return Boolean.ToTruth();
        }

        if (!MessageProperties.TryGetValue(properties, _utf8, out var text))
        {
            return Truth.Unknown;
        }

        return System.Text.Ascii.EqualsIgnoreCase(text, TrueText) ? Truth.True
            : System.Text.Ascii.EqualsIgnoreCase(text, FalseText) ? Truth.False
            : Truth.Unknown;
    }

    /// <summary>The operand as written in canonical form: a name, a quoted string, a number, TRUE, FALSE or NULL.</summary>
    public void Format(StringBuilder output)
    {
        if (Kind == SqlOperandKind.String)
        {
            output.Append('\'').Append(Text.Replace("'", "''", StringComparison.Ordinal)).Append('\'');
        }
        else
        {
            output.Append(Text);
        }
    }
}
