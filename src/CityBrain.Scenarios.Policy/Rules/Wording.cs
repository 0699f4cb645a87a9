using System.Globalization;

namespace CityBrain.Scenarios.Policy.Rules;

/// <summary>A clause in words a citizen reads: "your age (…) is at least 80".</summary>
internal static class Wording
{
    public static string Say(Expr e, IReadOnlyList<ProfileField> schema) => e switch
    {
        NumberLit n => n.Value.ToString("0.##", CultureInfo.InvariantCulture),
        TextLit t => $"\"{t.Value}\"",
        BoolLit b => b.Value ? "yes" : "no",
        ListLit l => string.Join(" or ", l.Items.Select(i => Say(i, schema))),
        Field f => "your " + (schema.FirstOrDefault(p => p.Name == f.Name)?.Words ?? f.Name),
        Unary { Op: "not", Operand: Field f } => $"you are not {Say(f, schema)[5..]}",
        Unary { Op: "not", Operand: Binary { Op: "in" } b } => $"{Say(b.Left, schema)} is not {Say(b.Right, schema)}",
        Unary { Op: "not" } u => $"it is not so that {Say(u.Operand, schema)}",
        Unary u => $"minus {Say(u.Operand, schema)}",
        Binary b => b.Op switch
        {
            "and" => $"{Say(b.Left, schema)}, and {Say(b.Right, schema)}",
            "or" => $"{Say(b.Left, schema)}, or {Say(b.Right, schema)}",
            "=" => $"{Say(b.Left, schema)} is {Say(b.Right, schema)}",
            "!=" => $"{Say(b.Left, schema)} is not {Say(b.Right, schema)}",
            "<" => $"{Say(b.Left, schema)} is under {Say(b.Right, schema)}",
            "<=" => $"{Say(b.Left, schema)} is at most {Say(b.Right, schema)}",
            ">" => $"{Say(b.Left, schema)} is over {Say(b.Right, schema)}",
            ">=" => $"{Say(b.Left, schema)} is at least {Say(b.Right, schema)}",
            "in" => $"{Say(b.Left, schema)} is {Say(b.Right, schema)}",
            "+" => $"{Say(b.Left, schema)} plus {Say(b.Right, schema)}",
            "-" => $"{Say(b.Left, schema)} minus {Say(b.Right, schema)}",
            "*" => $"{Say(b.Left, schema)} times {Say(b.Right, schema)}",
            _ => $"{Say(b.Left, schema)} divided by {Say(b.Right, schema)}",
        },
        Conditional c => $"{Say(c.Then, schema)} if {Say(c.Condition, schema)}, otherwise {Say(c.Else, schema)}",
        Call { Function: "starts_with" } c => $"{Say(c.Arguments[0], schema)} starts with {Say(c.Arguments[1], schema)}",
        Call c => $"the {(c.Function == "min" ? "smaller" : "larger")} of {string.Join(" and ", c.Arguments.Select(a => Say(a, schema)))}",
        _ => e.ToString(),
    };
}
