using CityBrain.Cockpit.Indicators;
using CityBrain.Cockpit.Warnings;
using CityBrain.Cockpit.Web.Account;
using CityBrain.Kernel.Errors;

namespace CityBrain.Cockpit.Tests;

public sealed class IndicatorRulesTests
{
    private static IndicatorDefinition Hotline(double? yellow = 4000, double? red = 6000) => new()
    {
        Code = "city.hotline", Name = "今日12345热线", OwningUnit = "dsj", Source = IndicatorSource.Metric, Query = "city.today.hotline",
        Measure = "件", Direction = TargetDirection.LowerIsBetter, Yellow = yellow, Red = red,
    };

    [Theory]
    [InlineData(3999, IndicatorStatus.Green)]
    [InlineData(4001, IndicatorStatus.Yellow)]
    [InlineData(6001, IndicatorStatus.Red)]
    public void Classify_LowerIsBetter_ThresholdsAreCeilings(double value, IndicatorStatus expected) =>
        Assert.Equal(expected, Hotline().Classify(value));

    [Theory]
    [InlineData(95, IndicatorStatus.Green)]
    [InlineData(85, IndicatorStatus.Yellow)]
    [InlineData(70, IndicatorStatus.Red)]
    public void Classify_HigherIsBetter_ThresholdsAreFloors(double value, IndicatorStatus expected) =>
        Assert.Equal(expected, (Hotline(90, 80) with { Direction = TargetDirection.HigherIsBetter }).Classify(value));

    [Fact]
    public void Evaluate_StatusTurnsRed_OneThresholdWarningNamingTheThreshold()
    {
        var warnings = WarningRules.Evaluate(Hotline(), IndicatorStatus.Green, IndicatorStatus.Red, 6500, []).ToList();

        var warning = Assert.Single(warnings);
        Assert.Equal((WarningSeverity.Red, WarningKind.Threshold), (warning.Severity, warning.Kind));
        Assert.Contains("above the red threshold 6,000 件", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_StatusStaysRed_NoRepeatedWarning() =>
        Assert.Empty(WarningRules.Evaluate(Hotline(), IndicatorStatus.Red, IndicatorStatus.Red, 6600, []));

    [Fact]
    public void Evaluate_SuddenJumpAgainstSteadyHistory_AnomalyWarning()
    {
        double[] history = [100, 102, 98, 101, 99, 100, 103, 97, 100, 101];

        var warning = Assert.Single(WarningRules.Evaluate(Hotline(null, null), IndicatorStatus.Green, IndicatorStatus.Green, 160, history));

        Assert.Equal(WarningKind.Anomaly, warning.Kind);
        Assert.Equal(WarningSeverity.Red, warning.Severity);
        Assert.Contains("sudden rise", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_OrdinaryValueOrTooLittleHistory_NoAnomaly()
    {
        double[] history = [100, 102, 98, 101, 99, 100, 103, 97, 100, 101];

        Assert.Empty(WarningRules.Evaluate(Hotline(null, null), IndicatorStatus.Green, IndicatorStatus.Green, 102, history));
        Assert.Empty(WarningRules.Evaluate(Hotline(null, null), IndicatorStatus.Green, IndicatorStatus.Green, 500, history[..5]));
    }

    [Fact]
    public void Parse_EmbeddedDefinitions_AllValidWithHubFigures()
    {
        var codes = IndicatorCatalog.Declared.Select(d => d.Code).ToList();

        Assert.Contains("hub.interfaces", codes);
        Assert.Contains("hub.calls", codes);
        Assert.Contains("hub.satisfaction", codes);
        Assert.Contains(IndicatorCatalog.Declared, d => d.Source == IndicatorSource.Lake);
    }

    [Fact]
    public void Parse_BadThresholdsAndUnknownSource_ErrorsNameFileAndField()
    {
        var wrongOrder = """
            indicators:
              - code: x.rate
                name: 比率
                owningUnit: dsj
                source: metric
                query: hub.calls
                measure: "%"
                yellow: 80
                red: 90
            """;
        var error = Assert.Throws<ValidationFailedException>(() => IndicatorCatalog.Parse(wrongOrder, "bad.yaml"));
        Assert.Contains("bad.yaml: indicators[0].red", error.Errors!.Keys);

        var unknown = wrongOrder.Replace("source: metric", "source: telepathy", StringComparison.Ordinal);
        var parseError = Assert.Throws<ValidationFailedException>(() => IndicatorCatalog.Parse(unknown, "bad.yaml"));
        Assert.Contains("line 5", parseError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifyHash_RightAndWrongPassword_OnlyTheRightOneMatches()
    {
        var stored = StaffAccounts.Hash("leader-demo");

        Assert.DoesNotContain("leader-demo", stored, StringComparison.Ordinal);
        Assert.True(StaffAccounts.VerifyHash("leader-demo", stored));
        Assert.False(StaffAccounts.VerifyHash("leader-dem0", stored));
    }
}
