using System.ComponentModel;
using System.Globalization;

namespace OrleansMq.Storage.Flush;

/// <summary>
/// Lets configuration binding (<c>--flush async:200ms</c>, <c>OrleansMq:Storage:FlushPolicy</c>) produce a
/// <see cref="FlushPolicy"/> from its text form through <see cref="FlushPolicy.Parse"/>. Without it the binder kept
/// the default instance and silently ignored the setting.
/// </summary>
public sealed class FlushPolicyConverter : TypeConverter
{
    /// <inheritdoc />
    public override bool CanConvertFrom(ITypeDescriptorContext? context, Type sourceType) =>
        sourceType == typeof(string) || base.CanConvertFrom(context, sourceType);

    /// <inheritdoc />
    public override object? ConvertFrom(ITypeDescriptorContext? context, CultureInfo? culture, object value) =>
        value is string text ? FlushPolicy.Parse(text) : base.ConvertFrom(context, culture, value);

    /// <inheritdoc />
    public override bool CanConvertTo(ITypeDescriptorContext? context, Type? destinationType) =>
        destinationType == typeof(string) || base.CanConvertTo(context, destinationType);

    /// <inheritdoc />
    public override object? ConvertTo(ITypeDescriptorContext? context, CultureInfo? culture, object? value, Type destinationType) =>
        destinationType == typeof(string) && value is FlushPolicy policy ? policy.ToString() : base.ConvertTo(context, culture, value, destinationType);
}
