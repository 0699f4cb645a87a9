using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CityBrain.Data.Quality;

/// <summary>
/// The SQL building blocks of the rules: identifier checks, literals, and the macros and reference tables a run
/// creates on its connection (temporary, so they never touch the lake's catalog).
/// </summary>
internal static partial class QualitySql
{
    private static readonly int[] ResidentIdWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private static readonly int[] CreditCodeWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    private const string CreditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";

    public static bool IsIdentifier(string? name) => name is not null && IdentifierPattern().IsMatch(name);

    public static string Quote(string identifier) => IsIdentifier(identifier)
        ? "\"" + identifier + "\""
        : throw new ArgumentException($"'{identifier}' is not an identifier", nameof(identifier));

    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Date(DateOnly date) => "DATE '" + date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "'";

    /// <summary>Macros for the check characters (ISO 7064 MOD 11-2 for resident IDs, GB 32100 MOD 31 for credit codes) and the street reference.</summary>
    public static IEnumerable<string> Prelude(IReadOnlyList<(string Name, string DistrictCode)> streets, IReadOnlyList<(string Name, string Code)> districts)
    {
        // The 17 digits are read once as a number and taken apart arithmetically: integer vectors are far cheaper than 17
        // substrings a row. The number is bound through a one-element lambda because a macro (and the optimizer's filter
        // pushdown) repeats an argument wherever it is named, and DuckDB does not share repeated expressions.
        var idSum = string.Join(" + ", ResidentIdWeights.Select((w, i) => $"{w} * ((n // {Pow10(16 - i)}) % 10)"));
        yield return "CREATE OR REPLACE TEMP MACRO cb_days_in_month(y, m) AS CASE WHEN m IN (4, 6, 9, 11) THEN 30 WHEN m = 2 THEN CASE WHEN (y % 4 = 0 AND y % 100 <> 0) OR y % 400 = 0 THEN 29 ELSE 28 END ELSE 31 END";
        yield return "CREATE OR REPLACE TEMP MACRO cb_date_digits_ok(d) AS d // 10000 BETWEEN 1850 AND 2199 AND (d // 100) % 100 BETWEEN 1 AND 12 AND d % 100 BETWEEN 1 AND cb_days_in_month(d // 10000, (d // 100) % 100)";
        yield return $"""
            CREATE OR REPLACE TEMP MACRO cb_resident_id_digits_ok(n, c) AS
              cb_date_digits_ok((n // 1000) % 100000000) AND substr('10X98765432', 1 + ({idSum}) % 11, 1) = upper(c)
            """;
        yield return """
            CREATE OR REPLACE TEMP MACRO cb_resident_id_ok(v) AS
              regexp_full_match(v, '[0-9]{17}[0-9Xx]')
              AND coalesce(list_transform([TRY_CAST(left(v, 17) AS BIGINT)], n -> cb_resident_id_digits_ok(n, substr(v, 18, 1)))[1], false)
            """;
        var codeSum = string.Join(" + ", CreditCodeWeights.Select((w, i) => $"{w} * (strpos('{CreditCodeAlphabet}', substr(v, {i + 1}, 1)) - 1)"));
        yield return $"""
            CREATE OR REPLACE TEMP MACRO cb_uscc_ok(v) AS
              regexp_full_match(v, '[0-9A-HJ-NPQRTUWXY]{"{18}"}')
              AND substr('{CreditCodeAlphabet}', 1 + (31 - ({codeSum}) % 31) % 31, 1) = substr(v, 18, 1)
            """;
        yield return "CREATE OR REPLACE TEMP TABLE cb_ref_streets(name VARCHAR, district_code VARCHAR)";
        yield return "INSERT INTO cb_ref_streets VALUES " + string.Join(", ", streets.Select(s => $"({Literal(s.Name)}, {Literal(s.DistrictCode)})"));
        yield return "CREATE OR REPLACE TEMP TABLE cb_ref_districts(name VARCHAR, district_code VARCHAR)";
        yield return "INSERT INTO cb_ref_districts VALUES " + string.Join(", ", districts.Select(d => $"({Literal(d.Name)}, {Literal(d.Code)})"));
        // One RE2 alternation finds the first street (or district) named in an address in a single pass; the whole match
        // (group 0, no capture group) lets RE2 run its DFA instead of the much slower submatch engine.
        yield return $"CREATE OR REPLACE TEMP MACRO cb_street_of(a) AS regexp_extract(a, '{string.Join('|', streets.Select(s => Regex.Escape(s.Name)))}', 0)";
        yield return $"CREATE OR REPLACE TEMP MACRO cb_district_named_in(a) AS regexp_extract(a, '{string.Join('|', districts.Select(d => Regex.Escape(d.Name)))}', 0)";
    }

    /// <summary>Replaces the placeholders a rule's SQL may use: {as-of}, {age-months:column}, {view:dataset}.</summary>
    public static string Expand(string sql, DateOnly asOf, IReadOnlyDictionary<string, string> views)
    {
        var expanded = new StringBuilder();
        var last = 0;
        foreach (Match match in PlaceholderPattern().Matches(sql))
        {
            expanded.Append(sql, last, match.Index - last);
            var argument = match.Groups[2].Value;
            expanded.Append(match.Groups[1].Value switch
            {
                "as-of" => Date(asOf),
                "age-months" => $"date_diff('month', TRY_STRPTIME(substr({Quote(argument)}, 7, 8), '%Y%m%d'), {Date(asOf)})",
                "view" => views.TryGetValue(argument, out var view) ? Quote(view) : throw new MissingViewException(argument),
                _ => throw new InvalidOperationException($"unknown placeholder {match.Value}"),
            });
            last = match.Index + match.Length;
        }
        expanded.Append(sql, last, sql.Length - last);
        return expanded.ToString();
    }

    private static string Pow10(int exponent) => Math.Pow(10, exponent).ToString("F0", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"\{(as-of|age-months|view)(?::([A-Za-z0-9_]+))?\}")]
    private static partial Regex PlaceholderPattern();
}

/// <summary>A rule needs a dataset whose view the run was not given; the rule is skipped and reported.</summary>
internal sealed class MissingViewException(string dataset) : Exception($"no view for dataset '{dataset}'")
{
    public string Dataset { get; } = dataset;
}

/// <summary>The value formats a field can declare, as SQL conditions on a non-empty VARCHAR value <c>v</c>.</summary>
internal static class QualityFormats
{
    public static readonly string[] Known = ["resident-id", "uscc", "division-code", "phone", "date:<pattern>", "regex:<pattern>"];

    public static bool IsKnown(string format) => format is "resident-id" or "uscc" or "division-code" or "phone"
        || (format.StartsWith("date:", StringComparison.Ordinal) && format.Length > 5)
        || (format.StartsWith("regex:", StringComparison.Ordinal) && format.Length > 6);

    public static string Valid(string format, string v) => format switch
    {
        "resident-id" => $"cb_resident_id_ok({v})",
        "uscc" => $"cb_uscc_ok({v})",
        // GB/T 2260: a province code 11-82 and four more digits.
        "division-code" => $"regexp_full_match({v}, '[1-8][0-9]{{5}}')",
        "phone" => $"regexp_full_match({v}, '1[3-9][0-9]{{9}}')",
        _ when format.StartsWith("date:", StringComparison.Ordinal) => $"TRY_STRPTIME({v}, {QualitySql.Literal(StrftimePattern(format[5..]))}) IS NOT NULL",
        _ when format.StartsWith("regex:", StringComparison.Ordinal) => $"regexp_full_match({v}, {QualitySql.Literal(format[6..])})",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown format"),
    };

    /// <summary>The date a value in this format stands for, as SQL (NULL when it does not parse).</summary>
    public static string AsDate(string? format, string v) => format is not null && format.StartsWith("date:", StringComparison.Ordinal)
        ? $"CAST(TRY_STRPTIME({v}, {QualitySql.Literal(StrftimePattern(format[5..]))}) AS DATE)"
        : $"TRY_CAST({v} AS DATE)";

    /// <summary>.NET-style date patterns (yyyy-MM-dd HH:mm:ss) as strftime patterns.</summary>
    private static string StrftimePattern(string pattern) => pattern
        .Replace("yyyy", "%Y", StringComparison.Ordinal).Replace("MM", "%m", StringComparison.Ordinal)
        .Replace("dd", "%d", StringComparison.Ordinal).Replace("HH", "%H", StringComparison.Ordinal)
        .Replace("mm", "%M", StringComparison.Ordinal).Replace("ss", "%S", StringComparison.Ordinal);
}
