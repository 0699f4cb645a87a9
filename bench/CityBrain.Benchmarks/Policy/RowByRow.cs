using System.Globalization;
using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Benchmarks.Policy;

/// <summary>
/// The comparison the set-based engine is measured against: the same rules evaluated in C#, one profile row at a time,
/// by walking the expression tree (what a rules engine without SQL would do). SQL's three-valued logic is kept, so
/// that both find the same subjects.
/// </summary>
internal static class RowByRow
{
    public static object? Evaluate(Expr e, object?[] row, IReadOnlyDictionary<string, int> columns) => e switch
    {
        NumberLit n => (double)n.Value,
        TextLit t => t.Value,
        BoolLit b => b.Value,
        Field f => Normalize(row[columns[f.Name]]),
        Unary { Op: "not" } u => Evaluate(u.Operand, row, columns) is bool b ? !b : null,
        Unary u => Evaluate(u.Operand, row, columns) is double d ? -d : null,
        Binary b => Binary(b, row, columns),
        Conditional c => Evaluate(c.Condition, row, columns) is true ? Evaluate(c.Then, row, columns) : Evaluate(c.Else, row, columns),
        Call { Function: "starts_with" } c => Evaluate(c.Arguments[0], row, columns) is string s ? s.StartsWith(((TextLit)c.Arguments[1]).Value, StringComparison.Ordinal) : null,
        Call c => MinMax(c, row, columns),
        _ => throw new InvalidOperationException(e.GetType().Name),
    };

    private static object? Normalize(object? value) => value switch
    {
        int i => (double)i,
        long l => (double)l,
        decimal m => (double)m,
        _ => value,
    };

    private static object? MinMax(Call c, object?[] row, IReadOnlyDictionary<string, int> columns)
    {
        var values = c.Arguments.Select(a => Evaluate(a, row, columns)).ToList();
        // LEAST/GREATEST skip NULLs.
        var numbers = values.OfType<double>().ToList();
        return numbers.Count == 0 ? null : c.Function == "min" ? numbers.Min() : numbers.Max();
    }

    private static object? Binary(Binary b, object?[] row, IReadOnlyDictionary<string, int> columns)
    {
        var left = Evaluate(b.Left, row, columns);
        if (b.Op == "and" && left is false)
        {
            return false;
        }
        if (b.Op == "or" && left is true)
        {
            return true;
        }
        if (b.Op == "in")
        {
            if (left is null)
            {
                return null;
            }
            return ((ListLit)b.Right).Items.Select(i => Evaluate(i, row, columns)).Any(v => Equals(v, left));
        }
        var right = Evaluate(b.Right, row, columns);
        if (b.Op is "and" or "or")
        {
            return right is bool r ? (left is bool l ? (b.Op == "and" ? l && r : l || r) : (b.Op == "and" ? (r ? null : false) : (r ? true : null))) : null;
        }
        if (left is null || right is null)
        {
            return null;
        }
        return b.Op switch
        {
            "=" => Equals(left, right),
            "!=" => !Equals(left, right),
            "<" => (double)left < (double)right,
            "<=" => (double)left <= (double)right,
            ">" => (double)left > (double)right,
            ">=" => (double)left >= (double)right,
            "+" => (double)left + (double)right,
            "-" => (double)left - (double)right,
            "*" => (double)left * (double)right,
            "/" => (double)right == 0 ? null : (double)left / (double)right,
            _ => throw new InvalidOperationException(b.Op),
        };
    }

    public static string Show(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);
}
