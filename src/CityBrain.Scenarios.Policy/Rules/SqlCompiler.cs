using System.Globalization;

namespace CityBrain.Scenarios.Policy.Rules;

/// <summary>
/// Compiles a checked expression to SQL over the profile table's columns. Only standard SQL that DuckDB and PostgreSQL
/// read alike: CASE, NULLIF, LEAST/GREATEST, LIKE ... ESCAPE, IN, CAST(... AS DOUBLE PRECISION). A missing value
/// (NULL) makes a clause unknown, and an unknown clause never makes anyone eligible.
/// </summary>
internal static class SqlCompiler
{
    public static string Compile(Expr e) => e switch
    {
        NumberLit n => n.Value.ToString(CultureInfo.InvariantCulture),
        TextLit t => Quote(t.Value),
        BoolLit b => b.Value ? "TRUE" : "FALSE",
        ListLit l => "(" + string.Join(", ", l.Items.Select(Compile)) + ")",
        Field f => f.Name,
        Unary { Op: "not" } u => $"(NOT {Compile(u.Operand)})",
        Unary u => $"(-{Compile(u.Operand)})",
        Binary { Op: "/" } b => $"(CAST({Compile(b.Left)} AS DOUBLE PRECISION) / NULLIF({Compile(b.Right)}, 0))",
        Binary { Op: "and" or "or" } b => $"({Compile(b.Left)} {b.Op.ToUpperInvariant()} {Compile(b.Right)})",
        Binary { Op: "in" } b => $"({Compile(b.Left)} IN {Compile(b.Right)})",
        Binary { Op: "!=" } b => $"({Compile(b.Left)} <> {Compile(b.Right)})",
        Binary b => $"({Compile(b.Left)} {b.Op} {Compile(b.Right)})",
        Conditional c => $"(CASE WHEN {Compile(c.Condition)} THEN {Compile(c.Then)} ELSE {Compile(c.Else)} END)",
        Call { Function: "min" } c => $"LEAST({string.Join(", ", c.Arguments.Select(Compile))})",
        Call { Function: "max" } c => $"GREATEST({string.Join(", ", c.Arguments.Select(Compile))})",
        Call { Function: "starts_with" } c => $"({Compile(c.Arguments[0])} LIKE {Quote(EscapeLike(((TextLit)c.Arguments[1]).Value) + "%")} ESCAPE '!')",
        _ => throw new InvalidOperationException($"cannot compile {e.GetType().Name}"),
    };

    private static string Quote(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static string EscapeLike(string text) =>
        text.Replace("!", "!!", StringComparison.Ordinal).Replace("%", "!%", StringComparison.Ordinal).Replace("_", "!_", StringComparison.Ordinal);
}
