namespace CityBrain.SyntheticCity.Generation;

/// <summary>
/// truth/policy_eligible.csv: who truly qualifies for each demo policy (src/CityBrain.Scenarios.Policy/Policies/*.yaml)
/// on the city's as-of date. Decided here from the generator's own model (clean values, the real deaths), by hand-written
/// C#, never by running the policy engine: the engine, which sees only the departments' dirty records, is measured against it.
/// A change to a demo policy's rule is a change here too (docs/policy.md).
/// </summary>
internal static class PolicyTruth
{
    /// <summary>The shipped policies that target residents, in the order they are written.</summary>
    /// <param name="movedOut">The household's registration moved out of Hangzhou on or before the as-of date.</param>
    public static void Resident(CsvBuffer truth, string residentId, in ResidentCore c, int age, bool local, bool movedOut)
    {
        if (c.Dead || movedOut)
        {
            return; // nobody pays the dead, nor those who moved out: every policy's money goes to the city's living residents
        }
        if (local && age >= 80)
        {
            Row(truth, "elderly-allowance", residentId);
        }
        if (c.Dibao && local)
        {
            Row(truth, "dibao-monthly", residentId);
        }
        if (c.DisabilityGrade is 1 or 2)
        {
            Row(truth, "severe-disability-care", residentId);
        }
        if (c.DisabilityGrade > 0 && c.Dibao)
        {
            Row(truth, "poor-disability-living", residentId);
        }
        if (!local && c.Employment == Employment.Employed && c.InsuredEmployee)
        {
            Row(truth, "stay-in-hangzhou", residentId);
        }
        if (age < 3)
        {
            Row(truth, "childcare-subsidy", residentId);
        }
        if (c.Employment == Employment.Unemployed && c.UnemploymentMonths >= 12 && age < 60)
        {
            Row(truth, "unemployment-subsidy", residentId);
        }
    }

    /// <summary>The shipped policies that target enterprises.</summary>
    /// <param name="industryCode">GB/T 4754 class code; its letter is the section (F wholesale and retail, H accommodation and catering).</param>
    public static void Enterprise(CsvBuffer truth, string uscc, bool active, string size, string industryCode, int insuredEmployees, int layoffs, long unemploymentPaidCents, long annualTaxCents)
    {
        if (!active)
        {
            return;
        }
        // 稳岗返还: layoffs at most 20 % for units of up to 30 insured, else at most 5.5 %.
        var layoffsWithin = insuredEmployees <= 30 ? layoffs * 100 <= insuredEmployees * 20 : layoffs * 1000 <= insuredEmployees * 55;
        if (insuredEmployees >= 1 && unemploymentPaidCents > 0 && layoffsWithin)
        {
            Row(truth, "stable-employment-refund", uscc);
        }
        if (size is "micro" or "small" && industryCode[0] is 'F' or 'H' && annualTaxCents > 0)
        {
            Row(truth, "small-business-relief", uscc);
        }
        if (size is "small" or "medium" && (industryCode.StartsWith("I65", StringComparison.Ordinal) || industryCode.StartsWith("C39", StringComparison.Ordinal))
            && insuredEmployees >= 10 && annualTaxCents > 0)
        {
            Row(truth, "tech-rd-subsidy", uscc);
        }
    }

    private static void Row(CsvBuffer truth, string policy, string subject) => truth.Field(policy).Field(subject).EndRow();
}
