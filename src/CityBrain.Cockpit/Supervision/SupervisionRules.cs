using CityBrain.Kernel.Errors;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CityBrain.Cockpit.Supervision;

/// <summary>The published list rules (supervision-rules.yaml, embedded; a city may publish its own file instead).</summary>
internal sealed class SupervisionRules
{
    public int MinClosedTasks { get; set; } = 5;

    public RedRule Red { get; set; } = new();

    public YellowRule Yellow { get; set; } = new();

    public BlackRule Black { get; set; } = new();

    internal sealed class RedRule
    {
        public double MinOnTimeRate { get; set; } = 0.95;
    }

    internal sealed class YellowRule
    {
        public double BelowOnTimeRate { get; set; } = 0.80;
    }

    internal sealed class BlackRule
    {
        public int OverdueWorkingDaysOver { get; set; } = 10;

        public double BelowOnTimeRate { get; set; } = 0.60;
    }

    public static SupervisionRules Embedded()
    {
        using var stream = typeof(SupervisionRules).Assembly.GetManifestResourceStream("CityBrain.Cockpit.Supervision.supervision-rules.yaml")!;
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "supervision-rules.yaml");
    }

    /// <summary>Parses and checks a rules file; a wrong one names the place and what is wrong.</summary>
    public static SupervisionRules Parse(string yaml, string source)
    {
        SupervisionRules rules;
        try
        {
            rules = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build().Deserialize<SupervisionRules>(yaml) ?? new();
        }
        catch (YamlException e)
        {
            throw new ValidationFailedException(source, $"line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (rules.MinClosedTasks < 1)
        {
            errors["minClosedTasks"] = ["at least 1"];
        }
        foreach (var (name, rate) in new[] { ("red.minOnTimeRate", rules.Red.MinOnTimeRate), ("yellow.belowOnTimeRate", rules.Yellow.BelowOnTimeRate), ("black.belowOnTimeRate", rules.Black.BelowOnTimeRate) })
        {
            if (rate is < 0 or > 1)
            {
                errors[name] = ["a rate between 0 and 1"];
            }
        }
        if (rules.Black.OverdueWorkingDaysOver < 0)
        {
            errors["black.overdueWorkingDaysOver"] = ["0 or more working days"];
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors.ToDictionary(e => $"{source}: {e.Key}", e => e.Value));
        }
        return rules;
    }
}
