namespace CityBrain.Cockpit.Warnings;

public enum WarningSeverity
{
    Yellow,
    Red,
}

public enum WarningKind
{
    /// <summary>The value crossed the indicator's yellow or red threshold.</summary>
    Threshold,

    /// <summary>The value jumped away from the indicator's own recent history.</summary>
    Anomaly,
}

/// <summary>A warning raised on an indicator, shown live on the cockpits that concern it.</summary>
public sealed record CockpitWarning(
    long Id,
    string Indicator,
    string IndicatorName,
    string OwningUnit,
    string Area,
    WarningSeverity Severity,
    WarningKind Kind,
    string Message,
    double Value,
    DateTimeOffset At);
