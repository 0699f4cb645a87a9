using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace CityBrain.SyntheticCity.Generation;

/// <summary>
/// Rows of one CSV file, UTF-8, built in memory for one block of entities and then appended to the file in
/// block order. Fields are quoted only when RFC 4180 needs it; lines end with '\n'.
/// </summary>
internal sealed class CsvBuffer
{
    private byte[] _bytes = new byte[1 << 16];
    private bool _rowStarted;

    public int Length { get; private set; }

    public int Rows { get; private set; }

    public ReadOnlySpan<byte> Written => _bytes.AsSpan(0, Length);

    public void Clear()
    {
        Length = 0;
        Rows = 0;
        _rowStarted = false;
    }

    private Span<byte> Reserve(int size)
    {
        if (Length + size > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, Length + size));
        }
        return _bytes.AsSpan(Length);
    }

    private void Separator()
    {
        if (_rowStarted)
        {
            Reserve(1)[0] = (byte)',';
            Length++;
        }
        _rowStarted = true;
    }

    public CsvBuffer Field(string? text) => Field(text.AsSpan());

    public CsvBuffer Field(ReadOnlySpan<char> text)
    {
        Separator();
        if (text.IndexOfAny(",\"\n\r") >= 0)
        {
            var quoted = "\"" + text.ToString().Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
            text = quoted;
        }
        var span = Reserve(Encoding.UTF8.GetMaxByteCount(text.Length));
        Length += Encoding.UTF8.GetBytes(text, span);
        return this;
    }

    public CsvBuffer Field(long value)
    {
        Separator();
        Utf8Formatter.TryFormat(value, Reserve(20), out var written);
        Length += written;
        return this;
    }

    /// <summary>A money amount with two decimals (cents).</summary>
    public CsvBuffer Money(long cents)
    {
        Separator();
        var span = Reserve(24);
        var n = 0;
        if (cents < 0)
        {
            span[n++] = (byte)'-';
            cents = -cents;
        }
        Utf8Formatter.TryFormat(cents / 100, span[n..], out var written);
        n += written;
        span[n++] = (byte)'.';
        span[n++] = (byte)('0' + cents % 100 / 10);
        span[n++] = (byte)('0' + cents % 10);
        Length += n;
        return this;
    }

    public CsvBuffer Coordinate(double value) => Field(value.ToString("F6", CultureInfo.InvariantCulture));

    public CsvBuffer Date(DateOnly date) => Field(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public CsvBuffer Empty()
    {
        Separator();
        return this;
    }

    public void EndRow()
    {
        Reserve(1)[0] = (byte)'\n';
        Length++;
        Rows++;
        _rowStarted = false;
    }

    /// <summary>Appends another buffer's complete rows.</summary>
    public void Append(CsvBuffer other)
    {
        other.Written.CopyTo(Reserve(other.Length));
        Length += other.Length;
        Rows += other.Rows;
    }
}
