using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CityBrain.Scenarios.Policy.Rules;

/// <summary>
/// Reads a policy file: parse the YAML, then type-check every clause and the amount against the profile schema.
/// Everything wrong is reported at once, each fault with its line and column; nothing half-loaded is ever returned.
/// </summary>
internal static class PolicyLoader
{
    private static readonly string[] Keys = ["id", "name", "issuer", "basis", "targets", "period", "effective", "budget", "eligible", "amount", "pay_to", "requires_confirmation"];

    public static PolicyDefinition Load(string yaml, string source)
    {
        var errors = new List<PolicyError>();
        var policy = TryLoad(yaml, source, errors);
        if (errors.Count > 0 || policy is null)
        {
            throw new PolicyRejectedException(errors);
        }
        return policy;
    }

    /// <summary>The policies shipped with the demo city (Policies/*.yaml, embedded).</summary>
    public static IReadOnlyList<PolicyDefinition> Shipped()
    {
        var assembly = typeof(PolicyLoader).Assembly;
        const string Prefix = "CityBrain.Scenarios.Policy.Policies.";
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(name =>
            {
                using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
                return Load(reader.ReadToEnd(), name[Prefix.Length..]);
            }).ToList();
    }

    private static PolicyDefinition? TryLoad(string yaml, string source, List<PolicyError> errors)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            errors.Add(new(source, (int)e.Start.Line, (int)e.Start.Column, "not valid YAML: " + e.Message));
            return null;
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            errors.Add(new(source, 1, 1, "a policy file is one YAML mapping (id:, name:, targets:, ...)"));
            return null;
        }

        void Fault(YamlNode node, string message) => errors.Add(new(source, (int)node.Start.Line, (int)node.Start.Column, message));

        var map = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            if (!Keys.Contains(key))
            {
                Fault(keyNode, $"unknown key '{key}'; a policy has {string.Join(", ", Keys)}");
                continue;
            }
            map[key] = value;
        }

        string? Text(string key, bool required = true)
        {
            if (!map.TryGetValue(key, out var node))
            {
                if (required)
                {
                    errors.Add(new(source, (int)root.Start.Line, (int)root.Start.Column, $"'{key}' is missing"));
                }
                return null;
            }
            if (node is not YamlScalarNode { Value: { Length: > 0 } value })
            {
                Fault(node, $"'{key}' must be a single value");
                return null;
            }
            return value;
        }

        var id = Text("id");
        if (id is not null && !System.Text.RegularExpressions.Regex.IsMatch(id, "^[a-z0-9][a-z0-9-]{1,62}$"))
        {
            Fault(map["id"], $"id '{id}' must be lower-case letters, digits and dashes");
        }
        var name = Text("name");
        var issuer = Text("issuer");
        var basis = Text("basis", required: false);
        var payTo = Text("pay_to", required: false);
        if (payTo is not null && payTo != "employer")
        {
            Fault(map["pay_to"], "pay_to is 'employer' (paid through the employer) or left out (paid to the beneficiary)");
        }
        var confirmation = Text("requires_confirmation", required: false);
        if (confirmation is not (null or "true" or "false"))
        {
            Fault(map["requires_confirmation"], "requires_confirmation is true (the beneficiary confirms a bank account once in the portal before being paid) or false");
        }
        if (confirmation == "true" && payTo is not null)
        {
            Fault(map["requires_confirmation"], "requires_confirmation is for money paid to the beneficiary, not through the employer (pay_to)");
        }

        Target? target = Text("targets") switch
        {
            null => null,
            "residents" => Target.Residents,
            "enterprises" => Target.Enterprises,
            var other => FaultValue<Target>(map["targets"], $"targets is residents or enterprises, not '{other}'"),
        };
        PayPeriod? period = Text("period") switch
        {
            null => null,
            "once" => PayPeriod.Once,
            "monthly" => PayPeriod.Monthly,
            "yearly" => PayPeriod.Yearly,
            var other => FaultValue<PayPeriod>(map["period"], $"period is once, monthly or yearly, not '{other}'"),
        };

        T? FaultValue<T>(YamlNode node, string message) where T : struct
        {
            Fault(node, message);
            return null;
        }

        DateOnly? from = null, to = null;
        if (!map.TryGetValue("effective", out var effective))
        {
            errors.Add(new(source, (int)root.Start.Line, (int)root.Start.Column, "'effective' is missing (effective: { from: 2025-01-01, to: 2027-12-31 })"));
        }
        else if (effective is not YamlMappingNode dates)
        {
            Fault(effective, "effective is { from: yyyy-MM-dd, to: yyyy-MM-dd }");
        }
        else
        {
            from = Date(dates, "from");
            to = Date(dates, "to");
            if (from > to)
            {
                Fault(dates, $"effective from {from:yyyy-MM-dd} is after to {to:yyyy-MM-dd}");
            }
        }

        DateOnly? Date(YamlMappingNode dates, string key)
        {
            var node = dates.Children.FirstOrDefault(c => ((YamlScalarNode)c.Key).Value == key).Value;
            if (node is YamlScalarNode { Value: { } text } && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                return day;
            }
            Fault(node ?? dates, $"effective {key} must be a date yyyy-MM-dd");
            return null;
        }

        decimal? budget = null;
        if (!map.TryGetValue("budget", out var budgetNode))
        {
            errors.Add(new(source, (int)root.Start.Line, (int)root.Start.Column, "'budget' is missing: a policy without a budget cap cannot pay (budget: 5000000, in yuan)"));
        }
        else if (budgetNode is not YamlScalarNode { Value: { } b } || !decimal.TryParse(b.Replace("_", "", StringComparison.Ordinal), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount) || amount <= 0)
        {
            Fault(budgetNode, "budget must be a positive amount in yuan");
        }
        else
        {
            budget = amount;
        }

        if (target is null)
        {
            return null; // the clauses cannot be checked without knowing whose profile they read
        }
        var schema = ProfileSchema.For(target.Value);
        var checker = new TypeChecker(schema);

        var clauses = new List<Clause>();
        if (!map.TryGetValue("eligible", out var eligible))
        {
            errors.Add(new(source, (int)root.Start.Line, (int)root.Start.Column, "'eligible' is missing: the list of conditions that must all hold"));
        }
        else if (eligible is not YamlSequenceNode { Children.Count: > 0 } list)
        {
            Fault(eligible, "eligible is a list of conditions, one per line (- age >= 80)");
        }
        else
        {
            foreach (var item in list.Children)
            {
                if (item is not YamlScalarNode { Value: { Length: > 0 } text } scalar)
                {
                    Fault(item, "each condition is one line of text");
                    continue;
                }
                var expr = Compile(scalar, text, checker, errors, source, ValueKind.Bool, "a condition must be yes/no");
                if (expr is not null)
                {
                    clauses.Add(new Clause(text, expr.Value.Expr, SqlCompiler.Compile(expr.Value.Expr), Wording.Say(expr.Value.Expr, schema)));
                }
            }
        }

        (Expr Expr, Checked Checked)? amountExpr = null;
        string? amountText = null;
        if (!map.TryGetValue("amount", out var amountNode))
        {
            errors.Add(new(source, (int)root.Start.Line, (int)root.Start.Column, "'amount' is missing: a number or a formula in yuan"));
        }
        else if (amountNode is not YamlScalarNode { Value: { Length: > 0 } text } scalar)
        {
            Fault(amountNode, "amount is a number or a formula on one line");
        }
        else
        {
            amountText = text;
            amountExpr = Compile(scalar, text, checker, errors, source, ValueKind.Number, "the amount must be a number of yuan");
            if (amountExpr is { } checkedAmount)
            {
                var range = checkedAmount.Checked.Range;
                if (double.IsPositiveInfinity(range.Hi))
                {
                    Fault(amountNode, "the amount is unbounded: it can grow without limit with the data; cap it, e.g. min(<formula>, 5000)");
                    amountExpr = null;
                }
                else if (range.Lo < 0)
                {
                    Fault(amountNode, "the amount can be negative; keep it at 0 or more, e.g. max(<formula>, 0)");
                    amountExpr = null;
                }
            }
        }

        if (errors.Count > 0 || id is null || name is null || issuer is null || period is null || from is null || to is null || budget is null || amountExpr is null)
        {
            return null;
        }
        return new PolicyDefinition(id, name, issuer, basis, target.Value, period.Value, from.Value, to.Value, budget.Value, clauses,
            amountText!, amountExpr.Value.Expr, SqlCompiler.Compile(amountExpr.Value.Expr), amountExpr.Value.Checked.Range.Hi, payTo, confirmation == "true");
    }

    private static (Expr Expr, Checked Checked)? Compile(YamlScalarNode node, string text, TypeChecker checker, List<PolicyError> errors, string source, ValueKind kind, string wrongKind)
    {
        try
        {
            var expr = ExpressionParser.Parse(text);
            var result = checker.Check(expr);
            if (result.Type.Kind != kind)
            {
                throw new ExpressionException(0, $"{wrongKind}, but this is {result.Type.Name}");
            }
            return (expr, result);
        }
        catch (ExpressionException e)
        {
            var (line, column) = Position(node, text, e.Offset);
            errors.Add(new(source, line, column, e.Message));
            return null;
        }
    }

    /// <summary>Line and column in the file of a character of a scalar's value.</summary>
    private static (int Line, int Column) Position(YamlScalarNode node, string text, int offset)
    {
        var line = (int)node.Start.Line;
        var column = (int)node.Start.Column;
        switch (node.Style)
        {
            case ScalarStyle.DoubleQuoted or ScalarStyle.SingleQuoted:
                return (line, column + 1 + offset);
            case ScalarStyle.Literal or ScalarStyle.Folded:
                var before = text[..Math.Min(offset, text.Length)];
                var newlines = before.Count(c => c == '\n');
                var lineStart = before.LastIndexOf('\n') + 1;
                return (line + 1 + newlines, column + 2 + (offset - lineStart));
            default:
                return (line, column + offset);
        }
    }
}
