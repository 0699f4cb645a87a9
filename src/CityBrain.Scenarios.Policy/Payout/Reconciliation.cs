namespace CityBrain.Scenarios.Policy.Payout;

/// <summary>One disagreement between the ledger and the bank's statement.</summary>
/// <param name="Kind">paid-not-in-ledger, in-ledger-not-at-bank, amount-differs, settled-twice.</param>
public sealed record ReconciliationDifference(string Kind, string Payout, decimal? LedgerAmount, decimal? BankAmount);

/// <summary>The ledger's paid payouts against the bank's statement: how many agree, and every difference.</summary>
public sealed record ReconciliationReport(int LedgerPaid, int BankLines, int Matched, IReadOnlyList<ReconciliationDifference> Differences);

/// <summary>Reconciles every paid payout (and its ledger posting) with the bank's statement, line by line on the payout id.</summary>
internal static class Reconciliation
{
    public static async Task<ReconciliationReport> RunAsync(Kernel.Storage.IOperationalStore store, IPaymentProvider bank, CancellationToken cancellationToken)
    {
        var statement = await bank.StatementAsync(cancellationToken);
        var ledger = new Dictionary<string, decimal>(StringComparer.Ordinal);
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        await using (var command = Db.Command(connection, null, """
            SELECT p.payout_id, l.amount_cents FROM policy_payouts p
            LEFT JOIN policy_ledger l ON l.journal = 'pay:' || p.payout_id AND l.account = 'beneficiary:' || p.subject
            WHERE p.status = 'paid'
            """))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                ledger[reader.GetString(0)] = reader.IsDBNull(1) ? -1 : reader.GetInt64(1) / 100m;
            }
        }

        var differences = new List<ReconciliationDifference>();
        var matched = 0;
        foreach (var group in statement.GroupBy(s => s.Key, StringComparer.Ordinal))
        {
            var bankAmount = group.First().Amount;
            if (group.Count() > 1)
            {
                differences.Add(new("settled-twice", group.Key, ledger.TryGetValue(group.Key, out var l) ? l : null, group.Sum(s => s.Amount)));
            }
            if (!ledger.TryGetValue(group.Key, out var ledgerAmount))
            {
                differences.Add(new("paid-not-in-ledger", group.Key, null, bankAmount));
            }
            else if (ledgerAmount != bankAmount)
            {
                differences.Add(new("amount-differs", group.Key, ledgerAmount, bankAmount));
            }
            else if (group.Count() == 1)
            {
                matched++;
            }
        }
        var atBank = statement.Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        differences.AddRange(ledger.Where(l => !atBank.Contains(l.Key)).Select(l => new ReconciliationDifference("in-ledger-not-at-bank", l.Key, l.Value, null)));
        return new ReconciliationReport(ledger.Count, statement.Count, matched, differences);
    }
}
