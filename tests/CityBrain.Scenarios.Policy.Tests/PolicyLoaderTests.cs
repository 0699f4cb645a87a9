using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Scenarios.Policy.Tests;

public sealed class PolicyLoaderTests
{
    private const string Valid = """
        id: test-policy
        name: A test allowance
        issuer: mzj
        targets: residents
        period: monthly
        effective: { from: 2025-01-01, to: 2026-12-31 }
        budget: 100000
        eligible:
          - hukou = "local"
          - age >= 80
        amount: if age >= 90 then 300 else 100
        """;

    private static PolicyRejectedException Refused(string yaml) => Assert.Throws<PolicyRejectedException>(() => PolicyLoader.Load(yaml, "test.yaml"));

    [Fact]
    public void Shipped_DemoPolicies_AllLoadWithTheDataTheyNeed()
    {
        var policies = PolicyLoader.Shipped();

        Assert.Equal(10, policies.Count);
        var elderly = policies.Single(p => p.Id == "elderly-allowance");
        // Age from the household register, and what every resident run reads to block payments: the death records, and the
        // register's move out of the city (迁出).
        Assert.Equal(["gaj.rk", "mzj.deaths", "rsj.persons", "wjw.death_certificates"], elderly.Needs);
        Assert.Equal(["age", "hukou", "dead", "moved_out"], elderly.ReadFields.Select(f => f.Name));
        Assert.Equal(600, elderly.MaxAmount);
        var refund = policies.Single(p => p.Id == "stable-employment-refund");
        Assert.Equal(Target.Enterprises, refund.Target);
        Assert.Contains("rsj.units", refund.Needs);
        Assert.Contains("scjgj.qy", refund.Needs);
    }

    [Fact]
    public void Load_ValidPolicy_CompilesClausesToSqlAndWords()
    {
        var policy = PolicyLoader.Load(Valid, "test.yaml");

        Assert.Equal("(hukou = 'local')", policy.Eligible[0].Sql);
        Assert.Equal("your age (full years, from the birth date in the resident ID) is at least 80", policy.Eligible[1].Words);
        Assert.Equal("(CASE WHEN (age >= 90) THEN 300 ELSE 100 END)", policy.AmountSql);
        Assert.Equal(new DateOnly(2026, 1, 31), policy.ReferenceDate("2026-01"));
    }

    [Fact]
    public void Load_TypeError_RefusedWithLineAndColumn()
    {
        var error = Refused(Valid.Replace("age >= 80", "age >= \"old\"", StringComparison.Ordinal));

        var fault = Assert.Single(error.Faults);
        Assert.Equal((10, 12), (fault.Line, fault.Column));
        Assert.Contains("'>=' needs a number, but this is text", fault.Message, StringComparison.Ordinal);
        Assert.Equal(400, error.Status);
    }

    [Fact]
    public void Load_UnknownField_RefusedNamingTheFieldAndWhere()
    {
        var error = Refused(Valid.Replace("age >= 80", "income_tax > 3000", StringComparison.Ordinal));

        var fault = Assert.Single(error.Faults);
        Assert.Equal((10, 5), (fault.Line, fault.Column));
        Assert.StartsWith("unknown field 'income_tax'", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownEnumValue_RefusedListingThePossibleOnes()
    {
        var fault = Assert.Single(Refused(Valid.Replace("\"local\"", "\"loca\"", StringComparison.Ordinal)).Faults);

        Assert.Equal((9, 13), (fault.Line, fault.Column));
        Assert.Equal("\"loca\" is not a possible value; expected one of local, nonlocal", fault.Message);
    }

    [Fact]
    public void Load_DivisionByZero_Refused()
    {
        var fault = Assert.Single(Refused(Valid.Replace("amount: if age >= 90 then 300 else 100", "amount: 1200 / (12 - 12)", StringComparison.Ordinal)).Faults);

        Assert.Equal("division by zero: the divisor is always 0", fault.Message);
        Assert.Equal((11, 14), (fault.Line, fault.Column));
    }

    [Fact]
    public void Load_UnboundedAmount_RefusedAskingForACap()
    {
        var fault = Assert.Single(Refused(Valid.Replace("if age >= 90 then 300 else 100", "income * 0.1", StringComparison.Ordinal)).Faults);

        Assert.StartsWith("the amount is unbounded", fault.Message, StringComparison.Ordinal);
        Assert.Equal(11, fault.Line);
    }

    [Fact]
    public void Load_CappedAmount_Accepted()
    {
        var policy = PolicyLoader.Load(Valid.Replace("if age >= 90 then 300 else 100", "min(income * 0.1, 800)", StringComparison.Ordinal), "test.yaml");

        Assert.Equal(800, policy.MaxAmount);
    }

    [Fact]
    public void Load_NoBudget_Refused()
    {
        var fault = Assert.Single(Refused(Valid.Replace("budget: 100000\n", "", StringComparison.Ordinal)).Faults);

        Assert.StartsWith("'budget' is missing", fault.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SeveralFaults_AllReportedAtOnce()
    {
        var error = Refused(Valid.Replace("issuer: mzj", "issuer: mzj\nsponsor: nobody", StringComparison.Ordinal).Replace("age >= 80", "age >=", StringComparison.Ordinal));

        Assert.Equal(2, error.Faults.Count);
        Assert.Contains(error.Faults, f => f.Message.StartsWith("unknown key 'sponsor'", StringComparison.Ordinal) && f.Line == 4);
        Assert.Contains(error.Faults, f => f.Message == "expected a value but found the end of the expression" && f.Line == 11);
    }

    [Fact]
    public void ReferenceDate_PeriodOutsideTheEffectiveDates_IsABrokenRule()
    {
        var policy = PolicyLoader.Load(Valid, "test.yaml");

        var error = Assert.Throws<CityBrain.Kernel.Errors.BusinessRuleViolationException>(() => policy.ReferenceDate("2027-03"));
        Assert.Equal(409, error.Status);
        Assert.Throws<CityBrain.Kernel.Errors.ValidationFailedException>(() => policy.ReferenceDate("2026"));
    }
}
