namespace CityBrain.Scenarios.Policy.Rules;

/// <summary>A node of a rule or amount expression; <c>Offset</c> is where it starts in the expression's text.</summary>
internal abstract record Expr(int Offset);

internal sealed record NumberLit(int Offset, decimal Value) : Expr(Offset);

internal sealed record TextLit(int Offset, string Value) : Expr(Offset);

internal sealed record BoolLit(int Offset, bool Value) : Expr(Offset);

internal sealed record ListLit(int Offset, IReadOnlyList<Expr> Items) : Expr(Offset);

internal sealed record Field(int Offset, string Name) : Expr(Offset);

/// <summary>Binary operators: or and = != &lt; &lt;= &gt; &gt;= in + - * /.</summary>
internal sealed record Binary(int Offset, string Op, Expr Left, Expr Right) : Expr(Offset);

/// <summary>not x, -x.</summary>
internal sealed record Unary(int Offset, string Op, Expr Operand) : Expr(Offset);

internal sealed record Conditional(int Offset, Expr Condition, Expr Then, Expr Else) : Expr(Offset);

/// <summary>min(a, b), max(a, b), starts_with(text, prefix).</summary>
internal sealed record Call(int Offset, string Function, IReadOnlyList<Expr> Arguments) : Expr(Offset);

internal static class ExprWalk
{
    public static IEnumerable<Expr> Descendants(Expr e)
    {
        yield return e;
        var children = e switch
        {
            ListLit l => l.Items,
            Binary b => [b.Left, b.Right],
            Unary u => [u.Operand],
            Conditional c => [c.Condition, c.Then, c.Else],
            Call c => c.Arguments,
            _ => (IReadOnlyList<Expr>)[],
        };
        foreach (var child in children)
        {
            foreach (var d in Descendants(child))
            {
                yield return d;
            }
        }
    }

    public static IEnumerable<string> Fields(Expr e) => Descendants(e).OfType<Field>().Select(f => f.Name).Distinct(StringComparer.Ordinal);
}
