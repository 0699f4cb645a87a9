using CityBrain.Kernel.Errors;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CityBrain.Cockpit.Evaluation;

/// <summary>The published lifecycle rules (lifecycle-rules.yaml, embedded).</summary>
internal sealed class LifecycleRules
{
    public PromoteRule TrialToOnline { get; set; } = new();

    public DemoteRule OnlineToReview { get; set; } = new();

    public PromoteRule ReviewToOnline { get; set; } = new();

    public RetireRule ReviewToRetired { get; set; } = new();

    internal sealed class PromoteRule
    {
        public int Days { get; set; } = 14;

        public double MinSatisfaction { get; set; } = 4.0;

        public double MinUsageRate { get; set; }
    }

    internal sealed class DemoteRule
    {
        public int Days { get; set; } = 7;

        public double BelowSatisfaction { get; set; } = 3.5;
    }

    internal sealed class RetireRule
    {
        public int Days { get; set; } = 30;
    }

    public static LifecycleRules Embedded()
    {
        using var stream = typeof(LifecycleRules).Assembly.GetManifestResourceStream("CityBrain.Cockpit.Evaluation.lifecycle-rules.yaml")!;
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "lifecycle-rules.yaml");
    }

    public static LifecycleRules Parse(string yaml, string source)
    {
        LifecycleRules rules;
        try
        {
            rules = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build().Deserialize<LifecycleRules>(yaml) ?? new();
        }
        catch (YamlException e)
        {
            throw new ValidationFailedException(source, $"line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}");
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var (name, days) in new[] { ("trialToOnline.days", rules.TrialToOnline.Days), ("onlineToReview.days", rules.OnlineToReview.Days), ("reviewToOnline.days", rules.ReviewToOnline.Days), ("reviewToRetired.days", rules.ReviewToRetired.Days) })
        {
            if (days is < 1 or > 365)
            {
                errors[$"{source}: {name}"] = ["1 to 365 days"];
            }
        }
        foreach (var (name, score) in new[] { ("trialToOnline.minSatisfaction", rules.TrialToOnline.MinSatisfaction), ("onlineToReview.belowSatisfaction", rules.OnlineToReview.BelowSatisfaction), ("reviewToOnline.minSatisfaction", rules.ReviewToOnline.MinSatisfaction) })
        {
            if (score is < 1 or > 5)
            {
                errors[$"{source}: {name}"] = ["a rating between 1 and 5"];
            }
        }
        if (rules.TrialToOnline.MinUsageRate is < 0 or > 1)
        {
            errors[$"{source}: trialToOnline.minUsageRate"] = ["a rate between 0 and 1"];
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        return rules;
    }
}
