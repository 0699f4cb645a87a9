using System.Globalization;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Scenarios.Policy.Citizen;

/// <summary>A payout to the citizen as the ledger holds it: <c>paid</c>, <c>reserved</c> (on its way), or <c>awaiting-confirmation</c>.</summary>
internal sealed record MyPayout(string Policy, string Period, decimal Amount, string Status, DateTimeOffset? PaidAt);

/// <summary>One policy in force as the citizen sees it: the current period's explanation and the payouts received.</summary>
internal sealed record MyPolicy(string Id, string Name, string Issuer, string Period, bool RequiresConfirmation, Explanation Explanation, IReadOnlyList<MyPayout> Payouts);

/// <summary>"You were paid": one per payout.</summary>
internal sealed record MyNotification(string Id, string Policy, string PolicyName, string Period, decimal Amount, DateTimeOffset At, bool Read);

/// <summary>What one account confirmation did: when, and how many waiting payouts it released to the next run.</summary>
internal sealed record AccountConfirmation(DateTimeOffset ConfirmedAt, int Released);

/// <summary>The citizen's page and the <c>/api/my/...</c> endpoints: the one place that answers a resident about his or her policies.</summary>
internal sealed class CitizenPolicies(PolicyProfiles profiles, IOperationalStore store, TimeProvider time)
{
    /// <summary>Every resident policy in force today, with why (or why not) for its current period and the payouts so far.</summary>
    public async Task<IReadOnlyList<MyPolicy>> PoliciesAsync(string residentId, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var payouts = await PayoutsAsync(residentId, cancellationToken);
        var result = new List<MyPolicy>();
        foreach (var policy in PolicyLoader.Shipped().Where(p => p.Target == Target.Residents && p.EffectiveFrom <= today && today <= p.EffectiveTo))
        {
            var period = CurrentPeriod(policy, today);
            var judgedOn = policy.ReferenceDate(period);
            var explanation = await profiles.UseAsync(judgedOn, connection => PolicyMatcher.ExplainAsync(connection, policy, residentId, judgedOn, cancellationToken), cancellationToken)
                ?? throw new Kernel.Errors.NotFoundException("the city's records hold no resident with your ID");
            result.Add(new MyPolicy(policy.Id, policy.Name, policy.Issuer, period, policy.RequiresConfirmation, explanation,
                payouts.Where(p => p.Policy == policy.Id).ToList()));
        }
        return result;
    }

    /// <summary>The period a policy is paying for on a day: this month, this year, or the one-off period.</summary>
    public static string CurrentPeriod(PolicyDefinition policy, DateOnly today) => policy.Period switch
    {
        PayPeriod.Monthly => today.ToString("yyyy-MM", CultureInfo.InvariantCulture),
        PayPeriod.Yearly => today.ToString("yyyy", CultureInfo.InvariantCulture),
        _ => "once",
    };

    public async Task<IReadOnlyList<MyPayout>> PayoutsAsync(string residentId, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = Db.Command(connection, null,
            "SELECT policy, period, amount_cents, status, paid_at FROM policy_payouts WHERE subject = @subject ORDER BY reserved_at DESC, policy", ("subject", residentId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<MyPayout>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new MyPayout(reader.GetString(0), reader.GetString(1), reader.GetInt64(2) / 100m, reader.GetString(3),
                reader.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
        }
        return result;
    }

    /// <summary>When the resident confirmed a bank account, if ever.</summary>
    public async Task<DateTimeOffset?> AccountConfirmedAtAsync(string residentId, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var at = await Db.ScalarAsync(connection, null, "SELECT confirmed_at FROM policy_account_confirmations WHERE subject = @subject", cancellationToken, ("subject", residentId));
        return at == 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(at);
    }

    /// <summary>
    /// Records the resident's one confirmation (a second changes nothing) and releases every payout waiting for it: they
    /// become <c>reserved</c> and the next run pays them under their unchanged payout id, so idempotency holds.
    /// </summary>
    public async Task<AccountConfirmation> ConfirmAccountAsync(string residentId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await Db.ExecuteAsync(connection, transaction, "INSERT INTO policy_account_confirmations (subject, confirmed_at) VALUES (@subject, @at) ON CONFLICT (subject) DO NOTHING",
            cancellationToken, ("subject", residentId), ("at", now));
        var released = await Db.ExecuteAsync(connection, transaction, "UPDATE policy_payouts SET status = 'reserved' WHERE subject = @subject AND status = 'awaiting-confirmation'",
            cancellationToken, ("subject", residentId));
        var confirmedAt = await Db.ScalarAsync(connection, transaction, "SELECT confirmed_at FROM policy_account_confirmations WHERE subject = @subject", cancellationToken, ("subject", residentId));
        await transaction.CommitAsync(cancellationToken);
        return new AccountConfirmation(DateTimeOffset.FromUnixTimeMilliseconds(confirmedAt), released);
    }

    /// <summary>The resident's notifications, newest first.</summary>
    public async Task<IReadOnlyList<MyNotification>> NotificationsAsync(string residentId, CancellationToken cancellationToken)
    {
        var names = PolicyLoader.Shipped().ToDictionary(p => p.Id, p => p.Name, StringComparer.Ordinal);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = Db.Command(connection, null,
            "SELECT payout_id, policy, period, amount_cents, created_at, read_at FROM policy_notifications WHERE subject = @subject ORDER BY created_at DESC, payout_id",
            ("subject", residentId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<MyNotification>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var policy = reader.GetString(1);
            result.Add(new MyNotification(reader.GetString(0), policy, names.GetValueOrDefault(policy, policy), reader.GetString(2), reader.GetInt64(3) / 100m,
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)), !reader.IsDBNull(5)));
        }
        return result;
    }

    /// <summary>Marks the resident's unread notifications read (the page does so once it has shown them).</summary>
    public async Task<int> MarkReadAsync(string residentId, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return await Db.ExecuteAsync(connection, null, "UPDATE policy_notifications SET read_at = @at WHERE subject = @subject AND read_at IS NULL",
            cancellationToken, ("at", time.GetUtcNow().ToUnixTimeMilliseconds()), ("subject", residentId));
    }
}
