using System.Security.Cryptography;
using System.Text;
using System.Threading.Channels;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Grants;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Rules;
using Microsoft.Extensions.Logging;

namespace CityBrain.Scenarios.Policy.Payout;

/// <summary>What one run did (what `citybrain policy run` prints).</summary>
public sealed record PolicyRunSummary(string Policy, string Period, int Eligible, int Paid, int AlreadyPaid, int Blocked, decimal Amount, double Seconds,
    int OverBudget, int Failed);

/// <summary>
/// Matches a policy for a period and pays everyone eligible once: decisions recorded with their snapshot, payouts reserved
/// under the (policy, period, subject) key within the budget, then paid through the bank with the payout id as the
/// bank's idempotency key, and posted to the ledger. Every step can be repeated: a run killed anywhere and run again
/// pays the rest and no one twice.
/// </summary>
internal sealed partial class PayoutRun(IOperationalStore store, IPaymentProvider bank, TimeProvider time, ILogger logger)
{
    private const int Batch = 1000;

    /// <summary>At most this many settlements are recorded in one transaction.</summary>
    private const int SettleBatch = 500;

    /// <summary>Bank calls under way at once.</summary>
    public int Parallelism { get; init; } = 8;

    /// <summary>
    /// Matches the policy from the lake under its grants (refused with nothing read, decided or paid when a dataset or a
    /// field is not granted; each read audited by the lake), then pays.
    /// </summary>
    public async Task<PolicyRunSummary> RunAsync(PolicyDefinition policy, string period, PolicyAccess access, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var matches = await access.MatchAsync(policy, period, policy.ReferenceDate(period), cancellationToken);
        return await PayAsync(policy, period, matches, started, cancellationToken);
    }

    public async Task<PolicyRunSummary> PayAsync(PolicyDefinition policy, string period, IReadOnlyList<Match> matches, long started, CancellationToken cancellationToken)
    {
        var runId = $"{policy.Id}:{period}:{time.GetUtcNow().ToUnixTimeMilliseconds()}";
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await Db.ExecuteAsync(connection, null, "INSERT INTO policy_runs (run_id, policy, period, started_at) VALUES (@id, @policy, @period, @at)", cancellationToken,
            ("id", runId), ("policy", policy.Id), ("period", period), ("at", time.GetUtcNow().ToUnixTimeMilliseconds()));

        await RecordDecisionsAsync(connection, policy, period, matches, cancellationToken);
        var eligible = matches.Where(m => !m.Blocked).ToList();
        var (alreadyPaid, overBudget) = await ReserveAsync(connection, policy, period, eligible, cancellationToken);

        var pending = await PendingAsync(connection, policy.Id, period, cancellationToken);
        var (paid, failed, paidCents) = await PayPendingAsync(pending, cancellationToken);
        if (failed > 0)
        {
            LogUnpaid(logger, policy.Id, period, failed);
        }

        var summary = new PolicyRunSummary(policy.Id, period, eligible.Count, paid, alreadyPaid, matches.Count - eligible.Count, paidCents / 100m,
            Math.Round(time.GetElapsedTime(started).TotalSeconds, 3), overBudget, failed);
        await Db.ExecuteAsync(connection, null, """
            UPDATE policy_runs SET finished_at = @at, eligible = @eligible, paid = @paid, already_paid = @already, blocked = @blocked,
                over_budget = @over, failed = @failed, amount_cents = @amount WHERE run_id = @id
            """, cancellationToken, ("at", time.GetUtcNow().ToUnixTimeMilliseconds()), ("eligible", summary.Eligible), ("paid", paid),
            ("already", alreadyPaid), ("blocked", summary.Blocked), ("over", overBudget), ("failed", failed), ("amount", paidCents), ("id", runId));
        return summary;
    }

    /// <summary>
    /// Pays reserved payouts through the bank, each under its payout id (the bank's idempotency key), and records the
    /// settlements: the run pays its policy's pending payouts here, and a citizen's account confirmation pays the payouts it
    /// released here at once. Answers how many were paid, how many the bank could not be reached for, and the sum paid.
    /// </summary>
    public async Task<(int Paid, int Failed, long Cents)> PayPendingAsync(IReadOnlyList<PendingPayout> pending, CancellationToken cancellationToken)
    {
        var paid = 0;
        var failed = 0;
        long paidCents = 0;
        // One writer records the bank's settlements in batches: a transaction per payout would make the store's commit,
        // not the bank, the limit. A settlement not yet recorded when the process dies is recorded by the next run, which
        // sends the same key and gets the same settlement back.
        var settled = Channel.CreateUnbounded<(PendingPayout Payout, Settlement Settlement)>(new UnboundedChannelOptions { SingleReader = true });
        var recorder = Task.Run(async () =>
        {
            var batch = new List<(PendingPayout Payout, Settlement Settlement)>(SettleBatch);
            while (await settled.Reader.WaitToReadAsync(cancellationToken))
            {
                while (batch.Count < SettleBatch && settled.Reader.TryRead(out var item))
                {
                    batch.Add(item);
                }
                var (count, cents) = await SettleAsync(batch, cancellationToken);
                paid += count;
                paidCents += cents;
                batch.Clear();
            }
        }, cancellationToken);
        try
        {
            await Parallel.ForEachAsync(pending, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (payout, ct) =>
            {
                var settlement = await bank.PayAsync(new PaymentOrder(payout.Id, payout.Payee, payout.AmountCents / 100m, payout.Account), ct);
                if (settlement is null)
                {
                    Interlocked.Increment(ref failed);
                    await using var c = await store.OpenConnectionAsync(ct);
                    await Db.ExecuteAsync(c, null, "UPDATE policy_payouts SET attempts = attempts + 1 WHERE payout_id = @id", ct, ("id", payout.Id));
                    return;
                }
                settled.Writer.TryWrite((payout, settlement));
            });
        }
        finally
        {
            settled.Writer.Complete();
        }
        await recorder;
        return (paid, failed, paidCents);
    }

    /// <summary>The payout's id and the bank's idempotency key: the same for the same (policy, period, subject) on every run.</summary>
    public static string PayoutId(string policy, string period, string subject) =>
        "P" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{policy}|{period}|{subject}")))[..24];

    /// <summary>Each decision once, with the values it was taken on: a later run does not rewrite what an earlier one decided.</summary>
    private async Task RecordDecisionsAsync(System.Data.Common.DbConnection connection, PolicyDefinition policy, string period, IReadOnlyList<Match> matches, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var chunk in matches.Chunk(Batch))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var m in chunk)
            {
                await Db.ExecuteAsync(connection, transaction, """
                    INSERT INTO policy_decisions (policy, period, subject, status, reason, amount_cents, snapshot, decided_at)
                    VALUES (@policy, @period, @subject, @status, @reason, @amount, @snapshot, @at) ON CONFLICT (policy, period, subject) DO NOTHING
                    """, cancellationToken, ("policy", policy.Id), ("period", period), ("subject", m.Subject), ("status", m.Blocked ? "blocked" : "eligible"),
                    ("reason", m.Reason), ("amount", m.AmountCents), ("snapshot", m.Snapshot), ("at", now));
            }
            await transaction.CommitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Reserves a payout per eligible subject not reserved yet, while the policy's budget lasts (under the budget lock, so
    /// two nodes cannot both spend the last yuan). Answers how many were already paid, and how many the budget left out.
    /// </summary>
    private async Task<(int AlreadyPaid, int OverBudget)> ReserveAsync(System.Data.Common.DbConnection connection, PolicyDefinition policy, string period, List<Match> eligible, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var budgetCents = (long)(policy.Budget * 100);
        var alreadyPaid = 0;
        var overBudget = 0;
        // Read once: a payout reserved meanwhile by another run is still caught by the unique key below.
        var existing = await ExistingAsync(connection, null, policy.Id, period, cancellationToken);
        foreach (var chunk in eligible.Chunk(Batch))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await store.LockAsync(transaction, "policy-budget:" + policy.Id, cancellationToken);
            await Db.ExecuteAsync(connection, transaction, """
                INSERT INTO policy_ledger (journal, account, amount_cents, posted_at) VALUES (@journal, @budget, @amount, @at), (@journal, 'treasury', @credit, @at)
                ON CONFLICT (journal, account) DO NOTHING
                """, cancellationToken, ("journal", "fund:" + policy.Id), ("budget", "budget:" + policy.Id), ("amount", budgetCents), ("credit", -budgetCents), ("at", now));
            var committed = await Db.ScalarAsync(connection, transaction, "SELECT reserved_cents FROM policy_budgets WHERE policy = @policy", cancellationToken, ("policy", policy.Id));
            foreach (var m in chunk)
            {
                if (existing.TryGetValue(m.Subject, out var status))
                {
                    alreadyPaid += status == "paid" ? 1 : 0;
                    continue;
                }
                if (committed + m.AmountCents > budgetCents)
                {
                    overBudget++;
                    continue;
                }
                // Reserved within the budget either way; a payout of a policy that requires confirmation waits for the
                // beneficiary's one account confirmation (CitizenPolicies.ConfirmAccountAsync releases it).
                var inserted = await Db.ExecuteAsync(connection, transaction, """
                    INSERT INTO policy_payouts (payout_id, policy, period, subject, payee, amount_cents, status, attempts, reserved_at)
                    VALUES (@id, @policy, @period, @subject, @payee, @amount,
                        CASE WHEN @confirm = 1 AND NOT EXISTS (SELECT 1 FROM policy_account_confirmations WHERE subject = @subject)
                            THEN 'awaiting-confirmation' ELSE 'reserved' END, 0, @at) ON CONFLICT DO NOTHING
                    """, cancellationToken, ("id", PayoutId(policy.Id, period, m.Subject)), ("policy", policy.Id), ("period", period), ("subject", m.Subject),
                    ("payee", m.Employer ?? m.Subject), ("amount", m.AmountCents), ("confirm", policy.RequiresConfirmation ? 1 : 0), ("at", now));
                committed += inserted * m.AmountCents;
            }
            await Db.ExecuteAsync(connection, transaction, """
                INSERT INTO policy_budgets (policy, reserved_cents) VALUES (@policy, @reserved)
                ON CONFLICT (policy) DO UPDATE SET reserved_cents = excluded.reserved_cents
                """, cancellationToken, ("policy", policy.Id), ("reserved", committed));
            await transaction.CommitAsync(cancellationToken);
        }
        if (overBudget > 0)
        {
            LogOverBudget(logger, policy.Id, period, overBudget);
        }
        return (alreadyPaid, overBudget);
    }

    private static async Task<Dictionary<string, string>> ExistingAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string policy, string period, CancellationToken cancellationToken)
    {
        await using var command = Db.Command(connection, transaction, "SELECT subject, status FROM policy_payouts WHERE policy = @policy AND period = @period", ("policy", policy), ("period", period));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetString(0)] = reader.GetString(1);
        }
        return result;
    }

    /// <summary>A reserved payout to send: the account is the one the payee confirmed (null: the bank's account on file).</summary>
    internal sealed record PendingPayout(string Id, string Policy, string Subject, string Payee, long AmountCents, string? Account);

    private static Task<List<PendingPayout>> PendingAsync(System.Data.Common.DbConnection connection, string policy, string period, CancellationToken cancellationToken) =>
        ReservedAsync(connection, null, "p.policy = @policy AND p.period = @period", cancellationToken, ("policy", policy), ("period", period));

    /// <summary>Reserved payouts matching a condition on <c>policy_payouts p</c>, with the account their payee confirmed.</summary>
    internal static async Task<List<PendingPayout>> ReservedAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction? transaction, string where,
        CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = Db.Command(connection, transaction, $"""
            SELECT p.payout_id, p.policy, p.subject, p.payee, p.amount_cents, c.account
            FROM policy_payouts p LEFT JOIN policy_account_confirmations c ON c.subject = p.payee
            WHERE p.status = 'reserved' AND {where} ORDER BY p.payout_id
            """, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<PendingPayout>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new PendingPayout(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        return result;
    }

    /// <summary>
    /// Marks each payout paid and posts budget → beneficiary, all in one transaction; a payout another run got to first
    /// is left as it is. Answers how many were paid here, and their sum.
    /// </summary>
    private async Task<(int Paid, long Cents)> SettleAsync(List<(PendingPayout Payout, Settlement Settlement)> batch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var paid = 0;
        long cents = 0;
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var (payout, settlement) in batch)
        {
            var updated = await Db.ExecuteAsync(connection, transaction, """
                UPDATE policy_payouts SET status = 'paid', bank_reference = @reference, paid_at = @at, attempts = attempts + 1 WHERE payout_id = @id AND status = 'reserved'
                """, cancellationToken, ("reference", settlement.Reference), ("at", now), ("id", payout.Id));
            if (updated == 1)
            {
                await Db.ExecuteAsync(connection, transaction, """
                    INSERT INTO policy_ledger (journal, account, amount_cents, posted_at) VALUES (@journal, @budget, @credit, @at), (@journal, @beneficiary, @amount, @at)
                    ON CONFLICT (journal, account) DO NOTHING
                    """, cancellationToken, ("journal", "pay:" + payout.Id), ("budget", "budget:" + payout.Policy), ("credit", -payout.AmountCents),
                    ("beneficiary", "beneficiary:" + payout.Subject), ("amount", payout.AmountCents), ("at", now));
                await Db.ExecuteAsync(connection, transaction, """
                    INSERT INTO policy_notifications (payout_id, subject, policy, period, amount_cents, created_at)
                    SELECT payout_id, subject, policy, period, amount_cents, @at FROM policy_payouts WHERE payout_id = @id
                    ON CONFLICT (payout_id) DO NOTHING
                    """, cancellationToken, ("at", now), ("id", payout.Id));
                paid++;
                cents += payout.AmountCents;
            }
        }
        await transaction.CommitAsync(cancellationToken);
        return (paid, cents);
    }

    [LoggerMessage(EventId = 6101, Level = LogLevel.Warning, Message = "Policy {Policy} period {Period}: {Count} payouts left unpaid after the bank's retries; they are paid on the next run")]
    private static partial void LogUnpaid(ILogger logger, string policy, string period, int count);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Warning, Message = "Policy {Policy} period {Period}: the budget left {Count} eligible subjects unpaid")]
    private static partial void LogOverBudget(ILogger logger, string policy, string period, int count);
}
