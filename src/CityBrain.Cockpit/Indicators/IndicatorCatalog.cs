using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using Dapper;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CityBrain.Cockpit.Indicators;

/// <summary>
/// Every indicator: those declared in the YAML files embedded from Indicators/Definitions, and those added through the
/// API (kept in the store). A file's code cannot be redefined through the API.
/// </summary>
internal sealed class IndicatorCatalog(IOperationalStore store, TimeProvider time)
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) } };

    private readonly ConcurrentDictionary<string, IndicatorDefinition> _added = new(StringComparer.Ordinal);
    private bool _loaded;

    public static IReadOnlyList<IndicatorDefinition> Declared { get; } = LoadEmbedded();

    public IReadOnlyList<IndicatorDefinition> All => [.. Declared, .. _added.Values.OrderBy(d => d.Code, StringComparer.Ordinal)];

    public IndicatorDefinition? Find(string code) =>
        Declared.FirstOrDefault(d => d.Code == code) ?? _added.GetValueOrDefault(code);

    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition("SELECT definition FROM cockpit_indicators", cancellationToken: cancellationToken));
        foreach (var row in rows)
        {
            var definition = JsonSerializer.Deserialize<IndicatorDefinition>(row, Json)!;
            _added[definition.Code] = definition;
        }
        _loaded = true;
    }

    /// <summary>Adds or replaces an API-defined indicator after checking it; nothing is stored when it is invalid.</summary>
    public async Task<IndicatorDefinition> SaveAsync(IndicatorDefinition definition, string author, CancellationToken cancellationToken)
    {
        if (!_loaded)
        {
            await LoadAsync(cancellationToken);
        }
        definition.Validate("indicator");
        if (Declared.Any(d => d.Code == definition.Code))
        {
            throw new BusinessRuleViolationException("indicator-declared-in-file",
                $"indicator '{definition.Code}' is declared in the repository's definition files; change it there");
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var parameters = new { code = definition.Code, definition = JsonSerializer.Serialize(definition, Json), author, now = time.GetUtcNow().ToUnixTimeMilliseconds() };
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO cockpit_indicators (code, definition, created_by, updated_at) VALUES (@code, @definition, @author, @now)
            ON CONFLICT (code) DO UPDATE SET definition = excluded.definition, created_by = excluded.created_by, updated_at = excluded.updated_at
            """, parameters, cancellationToken: cancellationToken));
        _added[definition.Code] = definition;
        return definition;
    }

    /// <summary>Reads one definitions file; its place is named in every error.</summary>
    internal static IReadOnlyList<IndicatorDefinition> Parse(string yaml, string fileName)
    {
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(CamelCaseNamingConvention.Instance)
            .WithEnumNamingConvention(CamelCaseNamingConvention.Instance)
            .Build();
        DefinitionsFile file;
        try
        {
            file = deserializer.Deserialize<DefinitionsFile>(yaml) ?? new DefinitionsFile();
        }
        catch (YamlException e)
        {
            throw new ValidationFailedException(fileName, $"line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        for (var i = 0; i < file.Indicators.Count; i++)
        {
            file.Indicators[i].Validate($"{fileName}: indicators[{i}]");
        }
        return file.Indicators;
    }

    private static IReadOnlyList<IndicatorDefinition> LoadEmbedded()
    {
        var assembly = typeof(IndicatorCatalog).Assembly;
        var all = new List<IndicatorDefinition>();
        // Only the definitions folder: the module embeds other YAML (supervision and lifecycle rules) too.
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("CityBrain.Cockpit.Indicators.Definitions.", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            all.AddRange(Parse(reader.ReadToEnd(), name));
        }
        var duplicate = all.GroupBy(d => d.Code, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        return duplicate is null ? all : throw new InvalidOperationException($"indicator '{duplicate.Key}' is declared twice");
    }

    private sealed class DefinitionsFile
    {
        public List<IndicatorDefinition> Indicators { get; set; } = [];
    }
}
