namespace OrleansMq.Cli.Output;

/// <summary>A plain-text table for humans: a header row and columns padded to the widest cell; numbers right-aligned.</summary>
internal sealed class Table(params string[] headers)
{
    private readonly List<string[]> _rows = [];
    private readonly bool[] _right = new bool[headers.Length];

    /// <summary>Right-aligns the named columns (numbers).</summary>
    public Table RightAlign(params string[] columns)
    {
        foreach (var column in columns)
        {
            _right[Array.IndexOf(headers, column)] = true;
        }

        return this;
    }

    public void Add(params object?[] cells) => _rows.Add([.. cells.Select(c => Formats.Cell(c))]);

    public void WriteTo(TextWriter output)
    {
        var widths = new int[headers.Length];
        for (var i = 0; i < headers.Length; i++)
        {
            widths[i] = Math.Max(headers[i].Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length));
        }

        Write(output, headers, widths);
        foreach (var row in _rows)
        {
            Write(output, row, widths);
        }

        if (_rows.Count == 0)
        {
            output.WriteLine("(none)");
        }
    }

    private void Write(TextWriter output, string[] cells, int[] widths)
    {
        var line = new System.Text.StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            var last = i == cells.Length - 1;
            var cell = _right[i] ? cells[i].PadLeft(widths[i]) : last ? cells[i] : cells[i].PadRight(widths[i]);
            line.Append(cell);
            if (!last)
            {
                line.Append("  ");
            }
        }

        output.WriteLine(line.ToString().TrimEnd());
    }
}
