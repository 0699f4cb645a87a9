namespace CityBrain.Scenarios.Policy.Rules;

/// <summary>The types of the rule language. Enum values are text with a closed set of values, checked at load.</summary>
internal enum ValueKind { Number, Text, Bool, List }

/// <summary>A value's type; for enums the allowed values.</summary>
internal sealed record ValueType(ValueKind Kind, IReadOnlyList<string>? Values = null)
{
    public static readonly ValueType Number = new(ValueKind.Number);
    public static readonly ValueType Text = new(ValueKind.Text);
    public static readonly ValueType Bool = new(ValueKind.Bool);

    public static ValueType Enum(params string[] values) => new(ValueKind.Text, values);

    public string Name => Kind switch
    {
        ValueKind.Number => "a number",
        ValueKind.Bool => "yes/no",
        ValueKind.List => "a list",
        _ => Values is null ? "text" : "one of " + string.Join(", ", Values),
    };
}

/// <summary>
/// One profile field: its type, the range a number can take (for the bound on amounts), what a citizen calls it, and the
/// datasets it is built from (what a policy using it needs granted).
/// </summary>
internal sealed record ProfileField(string Name, ValueType Type, string Words, IReadOnlyList<string> Datasets, double Min = double.NegativeInfinity, double Max = double.PositiveInfinity);

/// <summary>Whom a policy targets.</summary>
internal enum Target { Residents, Enterprises }

/// <summary>The typed profiles that rules are written against: the columns of resident_profile and enterprise_profile.</summary>
internal static class ProfileSchema
{
    public static readonly IReadOnlyList<ProfileField> Resident =
    [
        new("age", ValueType.Number, "age (full years, from the birth date in the resident ID)", ["gaj.rk"], 0, 150),
        new("sex", ValueType.Enum("male", "female"), "sex", ["gaj.rk"]),
        new("hukou", ValueType.Enum("local", "nonlocal"), "household registration (local or non-local hukou)", ["gaj.rk"]),
        new("hukou_division", ValueType.Text, "division code of the household registration", ["gaj.rk"]),
        new("district", ValueType.Text, "district of residence", ["rsj.persons", "ybj.insured"]),
        new("employment", ValueType.Enum("employed", "unemployed", "retired", "student", "preschool", "none"), "employment status", ["rsj.persons"]),
        new("employer", ValueType.Text, "employer's credit code", ["rsj.persons"]),
        new("social_insurance_months", ValueType.Number, "months of pension insurance paid", ["rsj.insurance"], 0, 1200),
        new("unemployment_insurance_months", ValueType.Number, "months of unemployment insurance paid", ["rsj.insurance"], 0, 1200),
        new("income", ValueType.Number, "monthly income from work (yuan)", ["rsj.persons"], 0),
        new("pension", ValueType.Number, "monthly pension (yuan)", ["rsj.insurance"], 0),
        new("disability_grade", ValueType.Number, "disability grade (1 most severe, 0 none)", ["mzj.disability"], 0, 4),
        new("dibao", ValueType.Bool, "receives the minimum living allowance (低保)", ["mzj.dibao"]),
        new("dibao_benefit", ValueType.Number, "assessed monthly 低保 benefit (yuan)", ["mzj.dibao"], 0),
        new("dead", ValueType.Bool, "recorded as deceased", ["gaj.rk", "mzj.deaths", "wjw.death_certificates", "rsj.persons"]),
        new("moved_out", ValueType.Bool, "household registration moved out of Hangzhou (户籍迁出)", ["gaj.rk"]),
    ];

    public static readonly IReadOnlyList<ProfileField> Enterprise =
    [
        new("industry", ValueType.Text, "industry (GB/T 4754 class code)", ["scjgj.qy"]),
        new("size", ValueType.Enum("micro", "small", "medium", "large"), "size", ["scjgj.qy"]),
        new("status", ValueType.Enum("active", "cancelled", "revoked"), "registration status", ["scjgj.qy"]),
        new("insured_employees", ValueType.Number, "insured employees", ["rsj.units", "rsj.persons", "rsj.insurance"], 0),
        new("layoffs", ValueType.Number, "layoffs last year", ["rsj.units"], 0),
        new("unemployment_insurance_paid", ValueType.Number, "unemployment insurance paid last year (yuan)", ["rsj.units"], 0),
        new("annual_tax", ValueType.Number, "tax paid in the last 12 months (yuan)", ["swj.nsr"], 0),
    ];

    public static IReadOnlyList<ProfileField> For(Target target) => target == Target.Residents ? Resident : Enterprise;

    public static string Table(Target target) => target == Target.Residents ? "resident_profile" : "enterprise_profile";
}
