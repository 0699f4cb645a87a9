using System.Reflection;
using System.Xml;
using CityBrain.Kernel.Errors;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CityBrain.Data.Quality;

/// <summary>The quality rules of a city, as declared in YAML (see Rules/demo-city.yaml for the format).</summary>
internal sealed class QualityRuleSet
{
    public Dictionary<string, DatasetRules> Datasets { get; set; } = new(StringComparer.Ordinal);

    public ConsistencyRules Consistency { get; set; } = new();

    /// <summary>The embedded rules for the demo city's department datasets.</summary>
    public static QualityRuleSet DemoCity()
    {
        using var stream = typeof(QualityRuleSet).Assembly.GetManifestResourceStream("CityBrain.Data.Quality.Rules.demo-city.yaml")
            ?? throw new InvalidOperationException("the embedded demo-city rules are missing");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "demo-city.yaml");
    }

    /// <summary>Reads a rule file; a file that does not parse or names unknown checks is refused with its name and line.</summary>
    public static QualityRuleSet Parse(string yaml, string source)
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        QualityRuleSet rules;
        try
        {
            rules = deserializer.Deserialize<QualityRuleSet?>(yaml) ?? new QualityRuleSet();
        }
        catch (YamlException e)
        {
            throw new ValidationFailedException(new Dictionary<string, string[]>
            {
                [source] = [$"line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}"],
            });
        }
        rules.Validate(source);
        return rules;
    }

    /// <summary>Adds a city's own rules: a dataset declared again replaces the earlier declaration, and so does a consistency rule.</summary>
    public QualityRuleSet Merge(QualityRuleSet other)
    {
        foreach (var (code, dataset) in other.Datasets)
        {
            Datasets[code] = dataset;
        }
        Consistency.Districts = other.Consistency.Districts ?? Consistency.Districts;
        Consistency.Deaths = other.Consistency.Deaths ?? Consistency.Deaths;
        return this;
    }

    private void Validate(string source)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (code, dataset) in Datasets)
        {
            var problems = new List<string>();
            if (!QualitySql.IsIdentifier(code))
            {
                problems.Add("a dataset code is letters, digits and '_'");
            }
            if (dataset.Key.Count == 0)
            {
                problems.Add("key: name the column(s) that identify a record");
            }
            if (string.IsNullOrWhiteSpace(dataset.Unit))
            {
                problems.Add("unit: name the owning unit");
            }
            if (dataset.Frequency is { } frequency && !TryParseFrequency(frequency, out _))
            {
                problems.Add($"frequency: '{frequency}' is not an ISO 8601 duration (P1D, PT1H, P1M)");
            }
            foreach (var column in dataset.Key.Concat(dataset.Unique ?? []).Concat(dataset.Fields.Keys).Concat(dataset.Checks.Select(c => c.Field)))
            {
                if (!QualitySql.IsIdentifier(column))
                {
                    problems.Add($"'{column}' is not a column name");
                }
            }
            foreach (var (name, field) in dataset.Fields)
            {
                if (field.Format is { } format && !QualityFormats.IsKnown(format))
                {
                    problems.Add($"fields.{name}.format: '{format}' is not one of {string.Join(", ", QualityFormats.Known)}");
                }
                if (field.NotAfter is { } notAfter && notAfter != "as-of")
                {
                    problems.Add($"fields.{name}.notAfter: only 'as-of' is supported");
                }
                if (field.References is { } reference && (reference.Split('.') is not [var refDataset, var refField]
                    || !QualitySql.IsIdentifier(refDataset) || !QualitySql.IsIdentifier(refField)))
                {
                    problems.Add($"fields.{name}.references: write <dataset>.<field>");
                }
            }
            foreach (var check in dataset.Checks)
            {
                if (string.IsNullOrWhiteSpace(check.Name) || string.IsNullOrWhiteSpace(check.Valid))
                {
                    problems.Add("checks: each check has a name and a valid condition");
                }
            }
            if (problems.Count > 0)
            {
                errors[$"{source}: datasets.{code}"] = [.. problems];
            }
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
    }

    public static bool TryParseFrequency(string text, out TimeSpan frequency)
    {
        // Months and years are taken as 31 and 366 days: a late monthly file is late by any calendar.
        try
        {
            var normalised = text.Replace("P1Y", "P366D", StringComparison.Ordinal).Replace("P1M", "P31D", StringComparison.Ordinal);
            frequency = XmlConvert.ToTimeSpan(normalised);
            return frequency > TimeSpan.Zero;
        }
        catch (FormatException)
        {
            frequency = default;
            return false;
        }
    }
}

internal sealed class DatasetRules
{
    public string Unit { get; set; } = "";

    public List<string> Key { get; set; } = [];

    /// <summary>A composite key that must be unique (a single unique column is declared on the field).</summary>
    public List<string>? Unique { get; set; }

    /// <summary>Declared update frequency (ISO 8601 duration).</summary>
    public string? Frequency { get; set; }

    public Dictionary<string, FieldRules> Fields { get; set; } = new(StringComparer.Ordinal);

    public List<CheckRule> Checks { get; set; } = [];
}

internal sealed class FieldRules
{
    public bool Required { get; set; }

    public string? RequiredWhen { get; set; }

    public string? Format { get; set; }

    public decimal? Min { get; set; }

    public decimal? Max { get; set; }

    public string? NotAfter { get; set; }

    public List<string>? Values { get; set; }

    public bool Unique { get; set; }

    public string? References { get; set; }
}

internal sealed class CheckRule
{
    public string Name { get; set; } = "";

    public string Field { get; set; } = "";

    /// <summary>A SQL condition over the record's columns that holds for a valid record (NULL counts as valid).</summary>
    public string Valid { get; set; } = "";
}

internal sealed class ConsistencyRules
{
    public DistrictConsistency? Districts { get; set; }

    public DeathConsistency? Deaths { get; set; }
}

internal sealed class DistrictConsistency
{
    public PersonColumn Reference { get; set; } = new();

    public List<PersonColumn> Targets { get; set; } = [];
}

internal sealed class DeathConsistency
{
    public List<PersonColumn> Sources { get; set; } = [];

    public List<PersonColumn> Targets { get; set; } = [];
}

/// <summary>One dataset's view of a person: the resident-ID column and, by use, the column or expression compared.</summary>
internal sealed class PersonColumn
{
    public string Dataset { get; set; } = "";

    public string Person { get; set; } = "";

    public string? Field { get; set; }

    /// <summary>A residence address whose district is compared (districts reference).</summary>
    public string? Address { get; set; }

    /// <summary>SQL for the time of death (deaths sources).</summary>
    public string? Time { get; set; }

    /// <summary>SQL condition selecting the rows that say the person is dead (deaths sources).</summary>
    public string? When { get; set; }

    /// <summary>SQL condition that is true when a dead person's record is stale (deaths targets).</summary>
    public string? Stale { get; set; }
}
