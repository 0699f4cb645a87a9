using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Scenarios.Policy.Payout;

/// <summary>
/// The scenario's figures for the cockpit, over every shipped policy or one of them: coverage (payouts paid / eligible
/// decisions), budget burn (paid / the budgets) and the average time from the decision that someone is eligible to the
/// money being paid. Null where there is nothing to measure yet. <see cref="Blocked"/>: decisions held back (the dead, those
/// whose registration moved out of the city, no employer to pay through), one per subject and period;
/// <see cref="BlockedMovedOut"/> those of them held back because the registration moved out.
/// </summary>
public sealed record PolicyFigures(double? CoveragePercent, double BudgetBurnPercent, double? SecondsToPay, long Blocked, long BlockedMovedOut)
{
    internal static async Task<PolicyFigures> ReadAsync(IOperationalStore store, PolicyDefinition? policy, CancellationToken cancellationToken)
    {
        // "@policy IS NULL" would leave PostgreSQL unable to type the parameter; an empty text means every policy.
        const string Which = "(@policy = '' OR {0}policy = @policy)";
        var filter = ("policy", (object?)(policy?.Id ?? ""));
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var eligible = await Db.ScalarAsync(connection, null,
            $"SELECT COUNT(*) FROM policy_decisions WHERE status = 'eligible' AND {string.Format(Which, "")}", cancellationToken, filter);
        var paid = await Db.ScalarAsync(connection, null,
            $"SELECT COUNT(*) FROM policy_payouts WHERE status = 'paid' AND {string.Format(Which, "")}", cancellationToken, filter);
        var paidCents = await Db.ScalarAsync(connection, null,
            $"SELECT SUM(amount_cents) FROM policy_payouts WHERE status = 'paid' AND {string.Format(Which, "")}", cancellationToken, filter);
        var waitMs = await Db.ScalarAsync(connection, null, $"""
            SELECT AVG(p.paid_at - d.decided_at) FROM policy_payouts p
            JOIN policy_decisions d ON d.policy = p.policy AND d.period = p.period AND d.subject = p.subject
            WHERE p.status = 'paid' AND {string.Format(Which, "p.")}
            """, cancellationToken, filter);
        var blocked = await Db.ScalarAsync(connection, null,
            $"SELECT COUNT(*) FROM policy_decisions WHERE status = 'blocked' AND {string.Format(Which, "")}", cancellationToken, filter);
        var blockedMovedOut = await Db.ScalarAsync(connection, null,
            $"SELECT COUNT(*) FROM policy_decisions WHERE status = 'blocked' AND reason LIKE 'moved-out%' AND {string.Format(Which, "")}", cancellationToken, filter);
        var budget = policy?.Budget ?? PolicyLoader.Shipped().Sum(p => p.Budget);
        return new PolicyFigures(
            eligible == 0 ? null : Math.Round(100.0 * paid / eligible, 2),
            Math.Round((double)(paidCents / 100m / budget) * 100, 4),
            paid == 0 ? null : Math.Round(waitMs / 1000.0, 1),
            blocked,
            blockedMovedOut);
    }
}
