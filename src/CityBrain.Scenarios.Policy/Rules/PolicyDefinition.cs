using CityBrain.Kernel.Errors;

namespace CityBrain.Scenarios.Policy.Rules;

/// <summary>How often a policy pays: once, every month (period yyyy-MM) or every year (period yyyy).</summary>
internal enum PayPeriod { Once, Monthly, Yearly }

/// <summary>One condition of the eligibility rule, as written and as compiled.</summary>
internal sealed record Clause(string Text, Expr Expression, string Sql, string Words);

/// <summary>
/// A loaded, type-checked policy (Policies/*.yaml; docs/policy.md describes the file). <see cref="RequiresConfirmation"/>:
/// the beneficiary confirms a bank account once in the citizen portal before the first payout goes out.
/// </summary>
internal sealed record PolicyDefinition(
    string Id,
    string Name,
    string Issuer,
    string? Basis,
    Target Target,
    PayPeriod Period,
    DateOnly EffectiveFrom,
    DateOnly EffectiveTo,
    decimal Budget,
    IReadOnlyList<Clause> Eligible,
    string AmountText,
    Expr Amount,
    string AmountSql,
    double MaxAmount,
    string? PayTo,
    bool RequiresConfirmation = false)
{
    /// <summary>The profile fields the rule and the amount read, in schema order.</summary>
    public IReadOnlyList<ProfileField> Fields
    {
        get
        {
            var used = Eligible.SelectMany(c => ExprWalk.Fields(c.Expression)).Concat(ExprWalk.Fields(Amount)).ToHashSet(StringComparer.Ordinal);
            return ProfileSchema.For(Target).Where(f => used.Contains(f.Name)).ToList();
        }
    }

    /// <summary>The resident fields every run reads to block payments: to the deceased, and to those whose registration moved out of the city.</summary>
    public static readonly IReadOnlyList<string> BlockingFields = ["dead", "moved_out"];

    /// <summary>The profile fields a run reads: the rule's and the amount's, and for residents the <see cref="BlockingFields"/>.</summary>
    public IReadOnlyList<ProfileField> ReadFields => Target == Target.Residents
        ? [.. Fields, .. ProfileSchema.Resident.Where(f => BlockingFields.Contains(f.Name) && !Fields.Contains(f))]
        : Fields;

    /// <summary>The datasets the policy needs (what it must be granted before it runs), from the fields a run reads.</summary>
    public IReadOnlyList<string> Needs => ReadFields.SelectMany(f => f.Datasets).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Checks a period label against the policy's period and effective dates; answers the period's last day (the day rules are judged on).</summary>
    public DateOnly ReferenceDate(string period)
    {
        DateOnly end;
        switch (Period)
        {
            case PayPeriod.Monthly when period.Length == 7 && DateOnly.TryParseExact(period + "-01", "yyyy-MM-dd", out var month):
                end = month.AddMonths(1).AddDays(-1);
                break;
            case PayPeriod.Yearly when period.Length == 4 && int.TryParse(period, out var year) && year is > 1900 and < 3000:
                end = new DateOnly(year, 12, 31);
                break;
            case PayPeriod.Once when period == "once":
                end = EffectiveFrom;
                break;
            default:
                throw new ValidationFailedException("period", Period switch
                {
                    PayPeriod.Monthly => $"'{period}' is not a month: policy {Id} pays monthly, periods are yyyy-MM (2026-01)",
                    PayPeriod.Yearly => $"'{period}' is not a year: policy {Id} pays yearly, periods are yyyy (2025)",
                    _ => $"'{period}': policy {Id} pays once, its only period is 'once'",
                });
        }
        var start = Period switch { PayPeriod.Monthly => end.AddDays(1 - end.Day), PayPeriod.Yearly => new DateOnly(end.Year, 1, 1), _ => end };
        if (end < EffectiveFrom || start > EffectiveTo)
        {
            throw new BusinessRuleViolationException("PeriodMustFallWithinThePolicysEffectiveDates",
                $"policy {Id} is in effect from {EffectiveFrom:yyyy-MM-dd} to {EffectiveTo:yyyy-MM-dd}; period {period} is outside");
        }
        return Period == PayPeriod.Once ? EffectiveFrom : end;
    }
}

/// <summary>Where a policy file is wrong: file, line and column (1-based), and what.</summary>
internal sealed record PolicyError(string Source, int Line, int Column, string Message)
{
    public override string ToString() => $"{Source}({Line},{Column}): {Message}";
}

/// <summary>A policy refused at load: 400 naming each fault with its line and column.</summary>
internal sealed class PolicyRejectedException(IReadOnlyList<PolicyError> errors)
    : ProblemException(400, "The policy is refused", string.Join("\n", errors), errors.GroupBy(e => $"{e.Source}({e.Line},{e.Column})").ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()))
{
    public IReadOnlyList<PolicyError> Faults { get; } = errors;
}
