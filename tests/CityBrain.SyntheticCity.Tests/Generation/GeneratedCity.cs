using CityBrain.SyntheticCity.Generation;

namespace CityBrain.SyntheticCity.Tests.Generation;

/// <summary>One generated city of 20,000 residents shared by the tests of a class, read back from its files.</summary>
public sealed class GeneratedCity : IAsyncLifetime
{
    public const int Residents = 20_000;
    public const long Seed = 4711;

    private readonly Dictionary<string, Csv> _files = new(StringComparer.Ordinal);

    public string Directory { get; } = TempFolder.Create();

    public async ValueTask InitializeAsync() =>
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = Residents, Seed = Seed, OutputDirectory = Directory }, null, TestContext.Current.CancellationToken);

    public Csv this[string path]
    {
        get
        {
            lock (_files)
            {
                if (!_files.TryGetValue(path, out var csv))
                {
                    _files[path] = csv = Csv.Read(Path.Combine(Directory, path));
                }
                return csv;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}

internal static class TempFolder
{
    public static string Create() => Path.Combine(Path.GetTempPath(), "citybrain-city-" + Guid.NewGuid().ToString("N"));
}

/// <summary>A CSV file read whole (RFC 4180 quoting), columns by name.</summary>
public sealed class Csv
{
    private readonly Dictionary<string, int> _columns;

    private Csv(string[] header, List<string[]> rows)
    {
        Header = header;
        Rows = rows;
        _columns = header.Select((h, i) => (h, i)).ToDictionary(x => x.h, x => x.i, StringComparer.Ordinal);
    }

    public string[] Header { get; }

    public List<string[]> Rows { get; }

    public int Column(string name) => _columns.TryGetValue(name, out var i) ? i : throw new KeyNotFoundException($"no column {name} in {string.Join(',', Header)}");

    public IEnumerable<string> Values(string column)
    {
        var i = Column(column);
        return Rows.Select(r => r[i]);
    }

    public Dictionary<string, string[]> ByKey(string column)
    {
        var i = Column(column);
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var row in Rows)
        {
            result.TryAdd(row[i], row);
        }
        return result;
    }

    public static Csv Read(string path)
    {
        var text = File.ReadAllText(path);
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(field.ToString());
                field.Clear();
                rows.Add(fields.ToArray());
                fields.Clear();
            }
            else
            {
                field.Append(c);
            }
        }
        return new Csv(rows[0], rows.Skip(1).ToList());
    }
}
