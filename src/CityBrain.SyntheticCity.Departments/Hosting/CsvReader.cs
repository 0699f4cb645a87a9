using System.Text;

namespace CityBrain.SyntheticCity.Departments.Hosting;

/// <summary>Reads RFC 4180 CSV (quoted fields, doubled quotes, line breaks inside quotes; LF or CRLF) record by record.</summary>
internal sealed class CsvReader(TextReader reader)
{
    private readonly StringBuilder _field = new();

    /// <summary>Line number (1-based) where the last record returned started, for error messages.</summary>
    public long Line { get; private set; }

    private long _nextLine = 1;

    public List<string>? ReadRecord()
    {
        if (reader.Peek() < 0)
        {
            return null;
        }
        Line = _nextLine;
        var record = new List<string>();
        _field.Clear();
        var quoted = false;
        var wasQuoted = false;
        while (true)
        {
            var c = reader.Read();
            if (c < 0)
            {
                if (quoted)
                {
                    throw new InvalidDataException($"line {Line}: a quoted field is not closed before the end of the file");
                }
                record.Add(_field.ToString());
                return record;
            }
            if (quoted)
            {
                if (c == '"')
                {
                    if (reader.Peek() == '"')
                    {
                        reader.Read();
                        _field.Append('"');
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    if (c == '\n')
                    {
                        _nextLine++;
                    }
                    _field.Append((char)c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when _field.Length == 0 && !wasQuoted:
                    quoted = wasQuoted = true;
                    break;
                case ',':
                    record.Add(_field.ToString());
                    _field.Clear();
                    wasQuoted = false;
                    break;
                case '\r' when reader.Peek() == '\n':
                    break;
                case '\n':
                    _nextLine++;
                    record.Add(_field.ToString());
                    return record;
                case '"':
                    throw new InvalidDataException($"line {Line}: a quote inside an unquoted field (RFC 4180 quotes the whole field)");
                default:
                    _field.Append((char)c);
                    break;
            }
        }
    }
}
