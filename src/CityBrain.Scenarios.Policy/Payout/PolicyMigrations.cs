using CityBrain.Kernel.Storage;

namespace CityBrain.Scenarios.Policy.Payout;

/// <summary>
/// The policy module's tables in the operational store. The unique key (policy, period, subject) of policy_payouts is
/// what makes paying idempotent: a second reservation of the same payout cannot be inserted, whatever the run.
/// Ledger amounts are in cents, debit positive, credit negative; each journal sums to zero.
/// </summary>
internal sealed class PolicyMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("policy", 1, "decisions, payouts, ledger, runs", """
            CREATE TABLE policy_decisions (
                policy TEXT NOT NULL, period TEXT NOT NULL, subject TEXT NOT NULL,
                status TEXT NOT NULL, reason TEXT, amount_cents BIGINT NOT NULL, snapshot TEXT NOT NULL, decided_at BIGINT NOT NULL,
                PRIMARY KEY (policy, period, subject));
            CREATE TABLE policy_payouts (
                payout_id TEXT PRIMARY KEY, policy TEXT NOT NULL, period TEXT NOT NULL, subject TEXT NOT NULL, payee TEXT NOT NULL,
                amount_cents BIGINT NOT NULL, status TEXT NOT NULL, bank_reference TEXT, attempts INTEGER NOT NULL,
                reserved_at BIGINT NOT NULL, paid_at BIGINT,
                UNIQUE (policy, period, subject));
            CREATE INDEX policy_payouts_status ON policy_payouts (policy, period, status);
            CREATE TABLE policy_ledger (
                journal TEXT NOT NULL, account TEXT NOT NULL, amount_cents BIGINT NOT NULL, posted_at BIGINT NOT NULL,
                PRIMARY KEY (journal, account));
            CREATE TABLE policy_runs (
                run_id TEXT PRIMARY KEY, policy TEXT NOT NULL, period TEXT NOT NULL, started_at BIGINT NOT NULL, finished_at BIGINT,
                eligible INTEGER, paid INTEGER, already_paid INTEGER, blocked INTEGER, over_budget INTEGER, failed INTEGER, amount_cents BIGINT);
            """),
        new("policy", 2, "appeals", """
            CREATE TABLE policy_appeals (
                appeal_id TEXT PRIMARY KEY, policy TEXT NOT NULL, period TEXT NOT NULL, subject TEXT NOT NULL, statement TEXT NOT NULL,
                disputed_field TEXT, status TEXT NOT NULL, units TEXT NOT NULL, filed_at BIGINT NOT NULL);
            """),
        // The budget check read SUM(amount_cents) over the policy's payouts for every batch of reservations: quadratic in
        // the payouts of a run. The total reserved is kept here instead, changed only under the budget lock.
        new("policy", 3, "reserved total per policy", """
            CREATE TABLE policy_budgets (policy TEXT PRIMARY KEY, reserved_cents BIGINT NOT NULL);
            INSERT INTO policy_budgets (policy, reserved_cents) SELECT policy, SUM(amount_cents) FROM policy_payouts GROUP BY policy;
            """),
        // The citizen side: one bank-account confirmation per resident releases the payouts of policies that require it
        // (status awaiting-confirmation); a notification per payout, keyed by the payout so a repeated settlement adds none.
        new("policy", 4, "account confirmations and notifications", """
            CREATE TABLE policy_account_confirmations (subject TEXT PRIMARY KEY, confirmed_at BIGINT NOT NULL);
            CREATE TABLE policy_notifications (
                payout_id TEXT PRIMARY KEY, subject TEXT NOT NULL, policy TEXT NOT NULL, period TEXT NOT NULL,
                amount_cents BIGINT NOT NULL, created_at BIGINT NOT NULL, read_at BIGINT);
            CREATE INDEX policy_notifications_subject ON policy_notifications (subject, created_at);
            CREATE INDEX policy_payouts_subject ON policy_payouts (subject);
            """),
        // A confirmation names the account the bank verified as the resident's (null: the account on file), and the
        // payouts are paid into it; the masked form is what pages show.
        new("policy", 5, "the confirmed account", """
            ALTER TABLE policy_account_confirmations ADD COLUMN account TEXT;
            ALTER TABLE policy_account_confirmations ADD COLUMN account_masked TEXT;
            """),
        // The citizen's data tracker lists the decisions about one resident (Grants/PolicyDataUses).
        new("policy", 6, "decisions by subject", """
            CREATE INDEX policy_decisions_subject ON policy_decisions (subject);
            """),
    ];
}
