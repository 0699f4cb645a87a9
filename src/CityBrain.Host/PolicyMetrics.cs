using CityBrain.Cockpit.Indicators;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy;

namespace CityBrain.Host;

/// <summary>
/// Policy direct-reach's figures as live metrics for the cockpit: policy.coverage, policy.budget-burn,
/// policy.seconds-to-pay, policy.blocked and policy.blocked-moved-out over every policy, or over one with its id appended (policy.coverage.elderly-allowance).
/// </summary>
internal sealed class PolicyMetrics(IOperationalStore store) : ILiveMetricSource
{
    private static readonly string[] Figures = ["policy.coverage", "policy.budget-burn", "policy.seconds-to-pay", "policy.blocked", "policy.blocked-moved-out"];

    public async ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken)
    {
        var figure = Figures.FirstOrDefault(f => metric == f || metric.StartsWith(f + ".", StringComparison.Ordinal));
        if (figure is null)
        {
            return null;
        }
        var policyId = metric.Length > figure.Length ? metric[(figure.Length + 1)..] : null;
        var figures = await PolicyCli.FiguresAsync(store, policyId, cancellationToken);
        // Before any decision, nobody eligible has been left unpaid (coverage 100 %) and nobody has waited (0 s).
        var value = figure switch
        {
            "policy.coverage" => figures.CoveragePercent ?? 100,
            "policy.budget-burn" => figures.BudgetBurnPercent,
            "policy.blocked" => figures.Blocked,
            "policy.blocked-moved-out" => figures.BlockedMovedOut,
            _ => figures.SecondsToPay ?? 0,
        };
        return IndicatorReading.Of(value);
    }
}
