using System.Globalization;

namespace CityBrain.Benchmarks;

/// <summary>The <c>--name value</c> options of a load-run verb; an unknown or malformed option stops the run with its name.</summary>
internal sealed class LoadRunArgs
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public LoadRunArgs(IReadOnlyList<string> args, params string[] known)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (!name.StartsWith("--", StringComparison.Ordinal) || !known.Contains(name[2..], StringComparer.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"unknown option or missing value: '{name}' (known: {string.Join(", ", known.Select(k => "--" + k))})");
            }
            _values[name[2..]] = args[++i];
        }
    }

    public int Int(string name, int fallback) => _values.TryGetValue(name, out var text)
        ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value > 0 ? value
            : throw new ArgumentException($"--{name} takes a positive whole number, not '{text}'")
        : fallback;

    public string? Text(string name) => _values.GetValueOrDefault(name);
}
