using System.Text;
using OrleansMq.Silo.Console;

namespace OrleansMq.Process.Tests.Operations;

/// <summary>How the console shows message bodies.</summary>
[Trait("Suite", "BVT"), Trait("Area", "Operations")]
public sealed class BodyPreviewTests
{
    [Fact]
    public void Of_PrintableUtf8_IsText() =>
        Assert.Equal(("text", "a\tb\nc é 😀", false), BodyPreview.Of(Encoding.UTF8.GetBytes("a\tb\nc é 😀")));

    [Fact]
    public void Of_InvalidUtf8OrControlCharacters_IsHex()
    {
        Assert.Equal(("hex", "c328", false), BodyPreview.Of([0xC3, 0x28]));
        Assert.Equal(("hex", "610062", false), BodyPreview.Of([0x61, 0x00, 0x62]));
    }

    [Fact]
    public void Of_LongBodies_AreCutAndFlagged()
    {
        var text = BodyPreview.Of(Encoding.UTF8.GetBytes(new string('x', 10_000)));
        Assert.Equal(("text", BodyPreview.MaxTextChars, true), (text.Encoding, text.Preview.Length, text.Truncated));

        // A multi-byte character straddling the inspected prefix must not turn the body into hex.
        var straddling = BodyPreview.Of(Encoding.UTF8.GetBytes(new string('y', (BodyPreview.MaxTextChars * 4) - 1) + "é and more"));
        Assert.Equal("text", straddling.Encoding);
        Assert.True(straddling.Truncated);

        var binary = BodyPreview.Of(new byte[5000]);
        Assert.Equal(("hex", BodyPreview.MaxHexBytes * 2, true), (binary.Encoding, binary.Preview.Length, binary.Truncated));
    }
}
