using System.Globalization;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Identifiers;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;
using Microsoft.Extensions.Logging;

namespace CityBrain.Scenarios.Policy.Citizen;

/// <summary>A payout to the citizen as the ledger holds it: <c>paid</c>, <c>reserved</c> (on its way), or <c>awaiting-confirmation</c>.</summary>
internal sealed record MyPayout(string Policy, string Period, decimal Amount, string Status, DateTimeOffset? PaidAt);

/// <summary>One policy in force as the citizen sees it: the current period's explanation and the payouts received.</summary>
internal sealed record MyPolicy(string Id, string Name, string Issuer, string Period, bool RequiresConfirmation, Explanation Explanation, IReadOnlyList<MyPayout> Payouts);

/// <summary>"You were paid": one per payout.</summary>
internal sealed record MyNotification(string Id, string Policy, string PolicyName, string Period, decimal Amount, DateTimeOffset At, bool Read);

/// <summary>
/// The citizen's choice in the one confirmation: the account on file (<see cref="UseAccountOnFile"/>), or another account
/// at a bank with the holder's name as the bank knows it.
/// </summary>
internal sealed record AccountChoice(bool? UseAccountOnFile, string? Bank, string? AccountNumber, string? HolderName);

/// <summary>What one account confirmation did: when, into which account (masked), how many waiting payouts it released and how many it paid at once.</summary>
internal sealed record AccountConfirmation(DateTimeOffset ConfirmedAt, string AccountMasked, int Released, int PaidNow);

/// <summary>The citizen's bank account as the page shows it: the bank's account on file and the confirmed one (both masked).</summary>
internal sealed record MyAccount(string Bank, string? OnFileMasked, DateTimeOffset? ConfirmedAt, string? ConfirmedMasked);

/// <summary>The citizen's page and the <c>/api/my/...</c> endpoints: the one place that answers a resident about his or her policies.</summary>
internal sealed partial class CitizenPolicies(PolicyProfiles profiles, IOperationalStore store, PolicyBank bank, TimeProvider time, ILogger<CitizenPolicies> logger)
{
    /// <summary>The demo city's bank (DemoBank.BankCode) and its account numbers' issuer prefix.</summary>
    public const string DemoBankCode = "CBDB";

    private const string DemoBankPrefix = "621799";

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

    /// <summary>The account the bank holds on file for the resident (masked) and the one confirmed, if any.</summary>
    public async Task<MyAccount> AccountAsync(string residentId, CancellationToken cancellationToken)
    {
        var onFile = await BankCallAsync(b => b.AccountOnFileAsync(residentId, cancellationToken));
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = Db.Command(connection, null, "SELECT confirmed_at, account, account_masked FROM policy_account_confirmations WHERE subject = @subject", ("subject", residentId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return new MyAccount(DemoBankCode, onFile, null, null);
        }
        // Confirmed before accounts were named (schema v4): the account on file.
        var confirmed = reader.IsDBNull(2) ? onFile : reader.GetString(2);
        return new MyAccount(DemoBankCode, onFile, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), confirmed);
    }

    /// <summary>
    /// The resident's one confirmation: the account on file, or another account that the bank verifies is held by this
    /// resident under the name given. Refused with the reason (nothing recorded) otherwise. Payouts waiting for it are
    /// released and paid at once, each under its unchanged payout id, so a later run finds them paid and pays no one twice.
    /// Confirming again changes the account for payouts not yet paid.
    /// </summary>
    public async Task<AccountConfirmation> ConfirmAccountAsync(string residentId, AccountChoice choice, CancellationToken cancellationToken)
    {
        var (account, masked) = await VerifiedAccountAsync(residentId, choice, cancellationToken);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        int released;
        List<PayoutRun.PendingPayout> due;
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await Db.ExecuteAsync(connection, transaction, """
                INSERT INTO policy_account_confirmations (subject, confirmed_at, account, account_masked) VALUES (@subject, @at, @account, @masked)
                ON CONFLICT (subject) DO UPDATE SET confirmed_at = excluded.confirmed_at, account = excluded.account, account_masked = excluded.account_masked
                """, cancellationToken, ("subject", residentId), ("at", now), ("account", account), ("masked", masked));
            released = await Db.ExecuteAsync(connection, transaction, "UPDATE policy_payouts SET status = 'reserved' WHERE subject = @subject AND status = 'awaiting-confirmation'",
                cancellationToken, ("subject", residentId));
            due = await PayoutRun.ReservedAsync(connection, transaction, "p.payee = @subject", cancellationToken, ("subject", residentId));
            await transaction.CommitAsync(cancellationToken);
        }
        LogConfirmed(logger, masked, released);
        var (paid, _, _) = bank.Payments is null ? (0, 0, 0L)
            : await new PayoutRun(store, bank.Payments, time, logger).PayPendingAsync(due, cancellationToken);
        return new AccountConfirmation(DateTimeOffset.FromUnixTimeMilliseconds(now), masked, released, paid);
    }

    /// <summary>The account to pay into (null: the one on file) and its masked form, once the bank has vouched for it.</summary>
    private async Task<(string? Account, string Masked)> VerifiedAccountAsync(string residentId, AccountChoice choice, CancellationToken cancellationToken)
    {
        if (choice.UseAccountOnFile == true)
        {
            if (choice.AccountNumber is not null)
            {
                throw new ValidationFailedException("accountNumber", "either confirm the account on file or enter another account, not both");
            }
            var onFile = await BankCallAsync(b => b.AccountOnFileAsync(residentId, cancellationToken))
                ?? throw new BusinessRuleViolationException("AccountOnFileMustExist", "the bank holds no account on file for you; enter the account to be paid into");
            return (null, onFile);
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (choice.Bank != DemoBankCode)
        {
            errors["bank"] = [$"choose the bank: the demo city pays through {DemoBankCode} only"];
        }
        if (!BankCardNumber.TryParse(choice.AccountNumber, out var number, out var numberError))
        {
            errors["accountNumber"] = [numberError];
        }
        else if (!number.Value.StartsWith(DemoBankPrefix, StringComparison.Ordinal) || number.Value.Length != 19)
        {
            errors["accountNumber"] = [$"{DemoBankCode} account numbers have 19 digits and start with {DemoBankPrefix}"];
        }
        if (string.IsNullOrWhiteSpace(choice.HolderName) || choice.HolderName.Trim().Length > 50)
        {
            errors["holderName"] = ["enter the account holder's name as the bank knows it (1 to 50 characters)"];
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        var answer = await BankCallAsync(b => b.VerifyAsync(number.Value, residentId, choice.HolderName!.Trim(), cancellationToken));
        if (!answer.Verified)
        {
            throw new ValidationFailedException("accountNumber", "the bank refused the account: " + answer.Problem);
        }
        return (number.Value, number.Masked);
    }

    /// <summary>A bank call; no bank connected or the bank unreachable is a 503 that says so.</summary>
    private async Task<T> BankCallAsync<T>(Func<IBankAccounts, Task<T>> call)
    {
        if (bank.Accounts is null)
        {
            throw new ProblemException(503, "No bank connected", "this node has no bank to check accounts with (Policy:BankUrl); try again later");
        }
        try
        {
            return await call(bank.Accounts);
        }
        catch (Exception e) when (e is HttpRequestException or Polly.Timeout.TimeoutRejectedException)
        {
            throw new ProblemException(503, "Bank unavailable", "the bank did not answer; nothing was changed, try again in a minute");
        }
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

    [LoggerMessage(EventId = 6103, Level = LogLevel.Information, Message = "A resident confirmed the account {AccountMasked}; {Released} waiting payouts released")]
    private static partial void LogConfirmed(ILogger logger, string accountMasked, int released);
}
