namespace CityBrain.Scenarios.Policy.Rules;

/// <summary>The range a number can take; infinite ends are unbounded.</summary>
internal readonly record struct Interval(double Lo, double Hi)
{
    public static readonly Interval Unbounded = new(double.NegativeInfinity, double.PositiveInfinity);

    public static Interval Exactly(double v) => new(v, v);

    public bool IsExactly(double v) => Lo == v && Hi == v;

    public bool Contains(double v) => Lo <= v && v <= Hi;

    public Interval Union(Interval other) => new(Math.Min(Lo, other.Lo), Math.Max(Hi, other.Hi));

    public static Interval operator +(Interval a, Interval b) => new(a.Lo + b.Lo, a.Hi + b.Hi);

    public static Interval operator -(Interval a, Interval b) => new(a.Lo - b.Hi, a.Hi - b.Lo);

    public static Interval operator *(Interval a, Interval b)
    {
        // 0 × ∞ is 0 here: a factor that is exactly zero keeps the product at zero.
        static double Times(double x, double y) => x == 0 || y == 0 ? 0 : x * y;
        double[] products = [Times(a.Lo, b.Lo), Times(a.Lo, b.Hi), Times(a.Hi, b.Lo), Times(a.Hi, b.Hi)];
        return new(products.Min(), products.Max());
    }
}

/// <summary>A checked expression: its type and, for numbers, the range of its values.</summary>
internal readonly record struct Checked(ValueType Type, Interval Range, ValueType? ItemType = null);

/// <summary>
/// Type-checks an expression against a profile schema: every field known, every operator on the types it takes, enum
/// literals among the field's values, no division by a divisor that can only be zero; and works out each number's range,
/// so that an amount that could grow without bound is refused at load.
/// </summary>
internal sealed class TypeChecker(IReadOnlyList<ProfileField> schema)
{
    public Checked Check(Expr e) => e switch
    {
        NumberLit n => new(ValueType.Number, Interval.Exactly((double)n.Value)),
        TextLit => new(ValueType.Text, Interval.Unbounded),
        BoolLit => new(ValueType.Bool, Interval.Unbounded),
        ListLit l => CheckList(l),
        Field f => CheckField(f),
        Unary u => CheckUnary(u),
        Binary b => CheckBinary(b),
        Conditional c => CheckConditional(c),
        Call c => CheckCall(c),
        _ => throw new ExpressionException(e.Offset, "unknown expression"),
    };

    private Checked CheckField(Field f)
    {
        var field = schema.FirstOrDefault(p => p.Name == f.Name)
            ?? throw new ExpressionException(f.Offset, $"unknown field '{f.Name}'; the profile has {string.Join(", ", schema.Select(p => p.Name))}");
        return new(field.Type, field.Type.Kind == ValueKind.Number ? new Interval(field.Min, field.Max) : Interval.Unbounded);
    }

    private Checked CheckList(ListLit l)
    {
        if (l.Items.Count == 0)
        {
            throw new ExpressionException(l.Offset, "a list needs at least one value");
        }
        var items = l.Items.Select(Check).ToList();
        var first = items[0].Type.Kind;
        for (var i = 1; i < items.Count; i++)
        {
            if (items[i].Type.Kind != first)
            {
                throw new ExpressionException(l.Items[i].Offset, $"a list holds values of one type: this is {items[i].Type.Name}, the first is {items[0].Type.Name}");
            }
        }
        if (l.Items.Any(i => i is not (NumberLit or TextLit)))
        {
            throw new ExpressionException(l.Offset, "a list holds plain numbers or texts in quotes");
        }
        return new(new ValueType(ValueKind.List), Interval.Unbounded, items[0].Type);
    }

    private Checked CheckUnary(Unary u)
    {
        var operand = Check(u.Operand);
        if (u.Op == "not")
        {
            Require(u.Operand, operand, ValueKind.Bool, "'not'");
            return new(ValueType.Bool, Interval.Unbounded);
        }
        Require(u.Operand, operand, ValueKind.Number, "'-'");
        return new(ValueType.Number, new Interval(-operand.Range.Hi, -operand.Range.Lo));
    }

    private Checked CheckBinary(Binary b)
    {
        var left = Check(b.Left);
        var right = Check(b.Right);
        switch (b.Op)
        {
            case "and" or "or":
                Require(b.Left, left, ValueKind.Bool, $"'{b.Op}'");
                Require(b.Right, right, ValueKind.Bool, $"'{b.Op}'");
                return new(ValueType.Bool, Interval.Unbounded);
            case "=" or "!=":
                if (left.Type.Kind != right.Type.Kind || left.Type.Kind == ValueKind.List)
                {
                    throw new ExpressionException(b.Offset, $"'{b.Op}' compares {left.Type.Name} with {right.Type.Name}");
                }
                CheckEnumLiteral(left.Type, b.Right);
                CheckEnumLiteral(right.Type, b.Left);
                return new(ValueType.Bool, Interval.Unbounded);
            case "<" or "<=" or ">" or ">=":
                Require(b.Left, left, ValueKind.Number, $"'{b.Op}'");
                Require(b.Right, right, ValueKind.Number, $"'{b.Op}'");
                return new(ValueType.Bool, Interval.Unbounded);
            case "in":
                if (right.Type.Kind != ValueKind.List)
                {
                    throw new ExpressionException(b.Right.Offset, $"'in' takes a list in brackets, such as [\"micro\", \"small\"]; this is {right.Type.Name}");
                }
                if (right.ItemType!.Kind != left.Type.Kind)
                {
                    throw new ExpressionException(b.Offset, $"'in' looks for {left.Type.Name} in a list of {right.ItemType.Name}");
                }
                foreach (var item in ((ListLit)b.Right).Items)
                {
                    CheckEnumLiteral(left.Type, item);
                }
                return new(ValueType.Bool, Interval.Unbounded);
            default:
                Require(b.Left, left, ValueKind.Number, $"'{b.Op}'");
                Require(b.Right, right, ValueKind.Number, $"'{b.Op}'");
                return new(ValueType.Number, b.Op switch
                {
                    "+" => left.Range + right.Range,
                    "-" => left.Range - right.Range,
                    "*" => left.Range * right.Range,
                    _ => Divide(b, left.Range, right.Range),
                });
        }
    }

    private static Interval Divide(Binary b, Interval left, Interval right)
    {
        if (right.IsExactly(0))
        {
            throw new ExpressionException(b.Offset, "division by zero: the divisor is always 0");
        }
        if (right.Contains(0) || double.IsInfinity(left.Lo) || double.IsInfinity(left.Hi))
        {
            // A divisor that may be zero makes the clause unknown for that record (never true): its range is open.
            return Interval.Unbounded;
        }
        double[] q = [left.Lo / right.Lo, left.Lo / right.Hi, left.Hi / right.Lo, left.Hi / right.Hi];
        return new(q.Min(), q.Max());
    }

    private Checked CheckConditional(Conditional c)
    {
        Require(c.Condition, Check(c.Condition), ValueKind.Bool, "'if'");
        var then = Check(c.Then);
        var otherwise = Check(c.Else);
        if (then.Type.Kind != otherwise.Type.Kind)
        {
            throw new ExpressionException(c.Else.Offset, $"'then' gives {then.Type.Name} but 'else' gives {otherwise.Type.Name}");
        }
        return new(then.Type, then.Range.Union(otherwise.Range));
    }

    private Checked CheckCall(Call c)
    {
        var args = c.Arguments.Select(Check).ToList();
        switch (c.Function)
        {
            case "min" or "max":
                if (args.Count < 2)
                {
                    throw new ExpressionException(c.Offset, $"{c.Function} takes two or more numbers");
                }
                for (var i = 0; i < args.Count; i++)
                {
                    Require(c.Arguments[i], args[i], ValueKind.Number, c.Function);
                }
                return new(ValueType.Number, c.Function == "min"
                    ? new Interval(args.Min(a => a.Range.Lo), args.Min(a => a.Range.Hi))
                    : new Interval(args.Max(a => a.Range.Lo), args.Max(a => a.Range.Hi)));
            case "starts_with":
                if (args.Count != 2)
                {
                    throw new ExpressionException(c.Offset, "starts_with takes a text and a prefix: starts_with(industry, \"H\")");
                }
                Require(c.Arguments[0], args[0], ValueKind.Text, "starts_with");
                if (c.Arguments[1] is not TextLit)
                {
                    throw new ExpressionException(c.Arguments[1].Offset, "the prefix of starts_with is a text in quotes");
                }
                return new(ValueType.Bool, Interval.Unbounded);
            default:
                throw new ExpressionException(c.Offset, $"unknown function '{c.Function}'; there are min, max and starts_with");
        }
    }

    private static void Require(Expr e, Checked actual, ValueKind kind, string where)
    {
        if (actual.Type.Kind != kind)
        {
            var wanted = kind switch { ValueKind.Number => "a number", ValueKind.Bool => "yes/no (a condition)", _ => "text" };
            throw new ExpressionException(e.Offset, $"{where} needs {wanted}, but this is {actual.Type.Name}");
        }
    }

    private static void CheckEnumLiteral(ValueType type, Expr other)
    {
        if (type.Values is { } values && other is TextLit literal && !values.Contains(literal.Value, StringComparer.Ordinal))
        {
            throw new ExpressionException(literal.Offset, $"\"{literal.Value}\" is not a possible value; expected one of {string.Join(", ", values)}");
        }
    }
}
