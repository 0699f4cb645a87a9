using System.Globalization;
using CityBrain.Cockpit.Indicators;

namespace CityBrain.Cockpit.Warnings;

/// <summary>
/// When a new value deserves a warning. Threshold: the status turns yellow or red (raised once on the change, not on
/// every refresh while it stays there). Anomaly: |z| &gt; <see cref="AnomalyZ"/> against the indicator's last
/// <see cref="AnomalyWindow"/> values (at least <see cref="AnomalyMinimum"/> of them, and not all equal); red when |z| &gt; 2 × that.
/// </summary>
internal static class WarningRules
{
    public const int AnomalyWindow = 20;
    public const int AnomalyMinimum = 8;
    public const double AnomalyZ = 3;

    public static IEnumerable<(WarningSeverity Severity, WarningKind Kind, string Message)> Evaluate(
        IndicatorDefinition definition, IndicatorStatus previous, IndicatorStatus current, double value, IReadOnlyList<double> recent)
    {
        var shown = Format(value, definition.Measure);
        if (current is IndicatorStatus.Yellow or IndicatorStatus.Red && current != previous)
        {
            var severity = current == IndicatorStatus.Red ? WarningSeverity.Red : WarningSeverity.Yellow;
            var threshold = current == IndicatorStatus.Red ? definition.Red : definition.Yellow;
            var side = definition.Direction == TargetDirection.HigherIsBetter ? "below" : "above";
            yield return (severity, WarningKind.Threshold,
                $"{definition.Name} {shown}, {side} the {severity.ToString().ToLowerInvariant()} threshold {Format(threshold!.Value, definition.Measure)}");
        }
        if (ZScore(value, recent) is { } z && Math.Abs(z) > AnomalyZ)
        {
            var severity = Math.Abs(z) > 2 * AnomalyZ ? WarningSeverity.Red : WarningSeverity.Yellow;
            yield return (severity, WarningKind.Anomaly,
                $"{definition.Name} {shown}: a sudden {(z > 0 ? "rise" : "fall")} against its recent values (z = {z.ToString("0.0", CultureInfo.InvariantCulture)})");
        }
    }

    public static double? ZScore(double value, IReadOnlyList<double> recent)
    {
        if (recent.Count < AnomalyMinimum)
        {
            return null;
        }
        var mean = recent.Average();
        var deviation = Math.Sqrt(recent.Sum(v => (v - mean) * (v - mean)) / recent.Count);
        return deviation < 1e-9 ? null : (value - mean) / deviation;
    }

    public static string Format(double value, string measure) =>
        value.ToString(Math.Abs(value) >= 100 || value == Math.Floor(value) ? "#,0" : "#,0.0#", CultureInfo.InvariantCulture) + (measure == "%" ? "%" : " " + measure);
}
