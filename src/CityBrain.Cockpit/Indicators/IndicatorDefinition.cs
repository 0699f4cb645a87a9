using System.Text.RegularExpressions;
using CityBrain.Kernel.Errors;

namespace CityBrain.Cockpit.Indicators;

/// <summary>Where an indicator's value comes from.</summary>
public enum IndicatorSource
{
    /// <summary>A SQL query over the operational store.</summary>
    Store,

    /// <summary>A live figure: the hub's metrics or a metric the host supplies (<see cref="ILiveMetricSource"/>).</summary>
    Metric,

    /// <summary>A query over the data lake (<see cref="ILakeQuery"/>), when the data module is present.</summary>
    Lake,
}

/// <summary>Which way is good: for <see cref="HigherIsBetter"/> the thresholds are floors, otherwise ceilings.</summary>
public enum TargetDirection
{
    HigherIsBetter,
    LowerIsBetter,
}

/// <summary>
/// One indicator, as declared in a YAML file under Indicators/Definitions or posted to the API.
/// A value beyond <see cref="Yellow"/> is yellow, beyond <see cref="Red"/> red ("beyond" follows <see cref="Direction"/>).
/// </summary>
public sealed record IndicatorDefinition
{
    public required string Code { get; init; }
    public required string Name { get; init; }
    public required string OwningUnit { get; init; }
    public required IndicatorSource Source { get; init; }
    public required string Query { get; init; }
    public required string Measure { get; init; }
    public int RefreshSeconds { get; init; } = 60;
    public int TimeoutSeconds { get; init; } = 10;
    public TargetDirection Direction { get; init; } = TargetDirection.HigherIsBetter;
    public double? Yellow { get; init; }
    public double? Red { get; init; }

    /// <summary>Shown on the citizen portal (社会端) as well as the department console.</summary>
    public bool Public { get; init; }

    private static readonly Regex CodePattern = new("^[a-z][a-z0-9_.-]{1,63}$", RegexOptions.CultureInvariant);

    /// <summary>Every rule a definition must meet; all problems at once, named by field.</summary>
    public void Validate(string where)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        void Fail(string field, string message) => errors[$"{where}.{field}"] = [message];
        if (Code is null || !CodePattern.IsMatch(Code))
        {
            Fail("code", "must be 2-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter");
        }
        if (string.IsNullOrWhiteSpace(Name))
        {
            Fail("name", "is required");
        }
        if (string.IsNullOrWhiteSpace(OwningUnit))
        {
            Fail("owningUnit", "is required");
        }
        if (string.IsNullOrWhiteSpace(Query))
        {
            Fail("query", "is required");
        }
        else if (Source == IndicatorSource.Store && !IsSingleSelect(Query))
        {
            Fail("query", "a store query must be a single SELECT (or WITH ... SELECT), without ';'");
        }
        if (string.IsNullOrWhiteSpace(Measure))
        {
            Fail("measure", "is required (the unit of measure, e.g. '%' or '次')");
        }
        if (RefreshSeconds is < 1 or > 86_400)
        {
            Fail("refreshSeconds", "must be between 1 and 86400");
        }
        if (TimeoutSeconds is < 1 or > 300)
        {
            Fail("timeoutSeconds", "must be between 1 and 300");
        }
        if (Yellow is { } yellow && Red is { } red &&
            (Direction == TargetDirection.HigherIsBetter ? red > yellow : red < yellow))
        {
            Fail("red", Direction == TargetDirection.HigherIsBetter
                ? "must not be above yellow when higher is better"
                : "must not be below yellow when lower is better");
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
    }

    // A guard against slips, not a sandbox: only the admin and a unit's operator define indicators.
    private static bool IsSingleSelect(string query)
    {
        var text = query.Trim().TrimEnd(';');
        return (text.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || text.StartsWith("WITH", StringComparison.OrdinalIgnoreCase))
            && !text.Contains(';', StringComparison.Ordinal);
    }

    /// <summary>Green, yellow or red for a value.</summary>
    public IndicatorStatus Classify(double value)
    {
        bool Beyond(double threshold) => Direction == TargetDirection.HigherIsBetter ? value < threshold : value > threshold;
        if (Red is { } red && Beyond(red))
        {
            return IndicatorStatus.Red;
        }
        if (Yellow is { } yellow && Beyond(yellow))
        {
            return IndicatorStatus.Yellow;
        }
        return IndicatorStatus.Green;
    }
}

public enum IndicatorStatus
{
    Green,
    Yellow,
    Red,

    /// <summary>The source is not present on this node (no data lake, say).</summary>
    Unavailable,

    /// <summary>The query failed or timed out; the last good value stays in the history.</summary>
    Failed,

    /// <summary>Not evaluated yet.</summary>
    Pending,
}
