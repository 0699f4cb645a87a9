namespace CityBrain.Cockpit.Indicators;

/// <summary>The latest state of one indicator, as the cockpits show it.</summary>
public sealed record IndicatorSnapshot(
    IndicatorDefinition Definition,
    IndicatorStatus Status,
    double? Value,
    IReadOnlyDictionary<string, double> ByArea,
    DateTimeOffset? At,
    string? Message)
{
    public string Code => Definition.Code;

    public static IndicatorSnapshot Pending(IndicatorDefinition definition) =>
        new(definition, IndicatorStatus.Pending, null, new Dictionary<string, double>(), null, null);
}

/// <summary>One stored value of an indicator for an area (the city is 330100).</summary>
public sealed record HistoryPoint(DateTimeOffset At, double Value);
