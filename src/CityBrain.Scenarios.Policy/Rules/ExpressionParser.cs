using System.Globalization;
using System.Text;

namespace CityBrain.Scenarios.Policy.Rules;

/// <summary>A fault in an expression, at a character offset of its text.</summary>
internal sealed class ExpressionException(int offset, string message) : Exception(message)
{
    public int Offset { get; } = offset;
}

/// <summary>
/// The rule language, meant to read like the policy text: <c>hukou = "local" and age &gt;= 80</c>,
/// <c>if age &gt;= 90 then 300 else 100</c>, <c>size in ["micro", "small"]</c>, <c>min(unemployment_insurance_paid * 0.9, 500000)</c>.
/// Precedence, loosest first: if/then/else, or, and, not, comparison (= != &lt; &lt;= &gt; &gt;= in), + -, * /, unary minus.
/// </summary>
internal sealed class ExpressionParser
{
    private readonly string _text;
    private readonly List<(string Kind, string Value, int Offset)> _tokens;
    private int _at;

    private ExpressionParser(string text)
    {
        _text = text;
        _tokens = Tokenize(text);
    }

    public static Expr Parse(string text)
    {
        var parser = new ExpressionParser(text);
        if (parser._tokens.Count == 1)
        {
            throw new ExpressionException(0, "the expression is empty");
        }
        var expr = parser.ParseConditional();
        var next = parser.Peek;
        if (next.Kind != "end")
        {
            throw new ExpressionException(next.Offset, $"unexpected '{next.Value}' after a complete expression");
        }
        return expr;
    }

    private (string Kind, string Value, int Offset) Peek => _tokens[_at];

    private (string Kind, string Value, int Offset) Next() => _tokens[_at++];

    private bool Accept(string value)
    {
        if (Peek.Kind != "text" && Peek.Value == value)
        {
            _at++;
            return true;
        }
        return false;
    }

    private void Expect(string value)
    {
        if (!Accept(value))
        {
            throw new ExpressionException(Peek.Offset, $"expected '{value}' but found {Describe(Peek)}");
        }
    }

    private static string Describe((string Kind, string Value, int Offset) token) => token.Kind == "end" ? "the end of the expression" : $"'{token.Value}'";

    private Expr ParseConditional()
    {
        var start = Peek.Offset;
        if (Accept("if"))
        {
            var condition = ParseConditional();
            Expect("then");
            var then = ParseConditional();
            Expect("else");
            var otherwise = ParseConditional();
            return new Conditional(start, condition, then, otherwise);
        }
        return ParseOr();
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (Peek.Value == "or" && Peek.Kind == "word")
        {
            var op = Next();
            left = new Binary(op.Offset, "or", left, ParseAnd());
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (Peek.Value == "and" && Peek.Kind == "word")
        {
            var op = Next();
            left = new Binary(op.Offset, "and", left, ParseNot());
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (Peek.Value == "not" && Peek.Kind == "word")
        {
            var op = Next();
            return new Unary(op.Offset, "not", ParseNot());
        }
        return ParseComparison();
    }

    private static readonly string[] Comparisons = ["=", "!=", "<", "<=", ">", ">="];

    private Expr ParseComparison()
    {
        var left = ParseAdditive();
        if (Peek.Kind == "op" && Comparisons.Contains(Peek.Value))
        {
            var op = Next();
            return new Binary(op.Offset, op.Value, left, ParseAdditive());
        }
        if (Peek.Kind == "word" && Peek.Value == "in")
        {
            var op = Next();
            return new Binary(op.Offset, "in", left, ParseAdditive());
        }
        if (Peek.Kind == "word" && Peek.Value == "not" && _tokens[_at + 1].Value == "in")
        {
            var op = Next();
            Next();
            return new Unary(op.Offset, "not", new Binary(op.Offset, "in", left, ParseAdditive()));
        }
        return left;
    }

    private Expr ParseAdditive()
    {
        var left = ParseMultiplicative();
        while (Peek.Kind == "op" && Peek.Value is "+" or "-")
        {
            var op = Next();
            left = new Binary(op.Offset, op.Value, left, ParseMultiplicative());
        }
        return left;
    }

    private Expr ParseMultiplicative()
    {
        var left = ParseUnary();
        while (Peek.Kind == "op" && Peek.Value is "*" or "/")
        {
            var op = Next();
            left = new Binary(op.Offset, op.Value, left, ParseUnary());
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (Peek.Kind == "op" && Peek.Value == "-")
        {
            var op = Next();
            return new Unary(op.Offset, "-", ParseUnary());
        }
        return ParsePrimary();
    }

    private static readonly HashSet<string> Reserved = ["and", "or", "not", "in", "if", "then", "else"];

    private Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case "number":
                return new NumberLit(token.Offset, decimal.Parse(token.Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture));
            case "text":
                return new TextLit(token.Offset, token.Value);
            case "word" when token.Value is "true" or "false" or "yes" or "no":
                return new BoolLit(token.Offset, token.Value is "true" or "yes");
            case "word" when Reserved.Contains(token.Value):
                throw new ExpressionException(token.Offset, $"'{token.Value}' cannot start a value here");
            case "word" when Peek.Value == "(" && Peek.Kind == "op":
                Next();
                var arguments = new List<Expr>();
                if (!Accept(")"))
                {
                    do
                    {
                        arguments.Add(ParseConditional());
                    }
                    while (Accept(","));
                    Expect(")");
                }
                return new Call(token.Offset, token.Value, arguments);
            case "word":
                return new Field(token.Offset, token.Value);
            case "op" when token.Value == "(":
                var inner = ParseConditional();
                Expect(")");
                return inner;
            case "op" when token.Value == "[":
                var items = new List<Expr>();
                if (!Accept("]"))
                {
                    do
                    {
                        items.Add(ParseAdditive());
                    }
                    while (Accept(","));
                    Expect("]");
                }
                return new ListLit(token.Offset, items);
            default:
                throw new ExpressionException(token.Offset, $"expected a value but found {Describe(token)}");
        }
    }

    private static List<(string Kind, string Value, int Offset)> Tokenize(string text)
    {
        var tokens = new List<(string, string, int)>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
            }
            else if (char.IsAsciiDigit(c))
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.' || text[i] == '_'))
                {
                    i++;
                }
                var number = text[start..i].Replace("_", "", StringComparison.Ordinal);
                if (number.Count(ch => ch == '.') > 1 || number.EndsWith('.'))
                {
                    throw new ExpressionException(start, $"'{text[start..i]}' is not a number");
                }
                tokens.Add(("number", number, start));
            }
            else if (char.IsAsciiLetter(c) || c == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }
                tokens.Add(("word", text[start..i], start));
            }
            else if (c == '"')
            {
                var start = i++;
                var value = new StringBuilder();
                while (i < text.Length && text[i] != '"')
                {
                    value.Append(text[i++]);
                }
                if (i >= text.Length)
                {
                    throw new ExpressionException(start, "a text in quotes is not closed");
                }
                i++;
                tokens.Add(("text", value.ToString(), start));
            }
            else
            {
                var two = i + 1 < text.Length ? text.Substring(i, 2) : "";
                if (two is "<=" or ">=" or "!=" or "==")
                {
                    tokens.Add(("op", two == "==" ? "=" : two, i));
                    i += 2;
                }
                else if ("=<>+-*/()[],".Contains(c, StringComparison.Ordinal))
                {
                    tokens.Add(("op", c.ToString(), i));
                    i++;
                }
                else
                {
                    throw new ExpressionException(i, $"'{c}' is not part of the rule language");
                }
            }
        }
        tokens.Add(("end", "", text.Length));
        return tokens;
    }
}
