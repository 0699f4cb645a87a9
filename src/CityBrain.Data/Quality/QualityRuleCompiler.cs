using System.Globalization;

namespace CityBrain.Data.Quality;

/// <summary>One rule compiled to a set-based query that selects the failing records as (key, value).</summary>
internal sealed record CompiledRule(string Dataset, string Unit, string Field, string Rule, QualityDimension Dimension, string Sql);

/// <summary>
/// Turns declared rules into DuckDB SQL over the datasets' views: one query per rule, each a scan (or a join) that the
/// engine runs set-based; nothing is evaluated row by row in C#.
/// </summary>
internal static class QualityRuleCompiler
{
    /// <summary>The compiled rules, and the rules that could not be compiled because a dataset they need has no view.</summary>
    public static (IReadOnlyList<CompiledRule> Rules, IReadOnlyList<string> Skipped) Compile(QualityRuleSet rules, QualityRunRequest request)
    {
        var compiled = new List<CompiledRule>();
        var skipped = new List<string>();

        void Add(string description, Func<CompiledRule> compile)
        {
            try
            {
                compiled.Add(compile());
            }
            catch (MissingViewException e)
            {
                skipped.Add($"{description}: {e.Message}");
            }
        }

        foreach (var (code, dataset) in rules.Datasets.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            if (!request.Views.ContainsKey(code))
            {
                skipped.Add($"{code}: no view");
                continue;
            }
            var view = QualitySql.Quote(request.Views[code]);
            var key = KeyExpression(dataset.Key);
            foreach (var (name, field) in dataset.Fields.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                var v = $"CAST({QualitySql.Quote(name)} AS VARCHAR)";
                var present = $"{v} IS NOT NULL AND trim({v}) <> ''";
                CompiledRule Rule(string rule, QualityDimension dimension, string failing) =>
                    new(code, dataset.Unit, name, rule, dimension, $"SELECT {key} AS key, {v} AS value FROM {view} WHERE {failing}");

                if (field.Required)
                {
                    Add($"{code}.{name} required", () => Rule("required", QualityDimension.Completeness, $"NOT ({present})"));
                }
                if (field.RequiredWhen is { } when)
                {
                    Add($"{code}.{name} requiredWhen", () => Rule("required", QualityDimension.Completeness,
                        $"NOT ({present}) AND coalesce(({QualitySql.Expand(when, request.AsOf, request.Views)}), false)"));
                }
                if (field.Format is { } format)
                {
                    Add($"{code}.{name} format", () => new CompiledRule(code, dataset.Unit, name, $"format:{format}", QualityDimension.Validity,
                        $"SELECT key, value FROM (SELECT {key} AS key, {v} AS value, trim({v}) AS cb_v FROM {view}) " +
                        $"WHERE cb_v IS NOT NULL AND cb_v <> '' AND NOT coalesce({QualityFormats.Valid(format, "cb_v")}, false)"));
                }
                if (field.Min is not null || field.Max is not null)
                {
                    var number = $"TRY_CAST(trim({v}) AS DOUBLE)";
                    var outside = string.Join(" OR ", new[]
                    {
                        $"{number} IS NULL",
                        field.Min is { } min ? $"{number} < {min.ToString(CultureInfo.InvariantCulture)}" : null,
                        field.Max is { } max ? $"{number} > {max.ToString(CultureInfo.InvariantCulture)}" : null,
                    }.Where(c => c is not null));
                    Add($"{code}.{name} range", () => Rule("range", QualityDimension.Validity, $"{present} AND ({outside})"));
                }
                if (field.NotAfter is not null)
                {
                    Add($"{code}.{name} notAfter", () => Rule("not-after-as-of", QualityDimension.Validity,
                        $"{present} AND {QualityFormats.AsDate(field.Format, $"trim({v})")} > {QualitySql.Date(request.AsOf)}"));
                }
                if (field.Values is { Count: > 0 } values)
                {
                    Add($"{code}.{name} values", () => Rule("values", QualityDimension.Validity,
                        $"{present} AND trim({v}) NOT IN ({string.Join(", ", values.Select(QualitySql.Literal))})"));
                }
                if (field.Unique)
                {
                    Add($"{code}.{name} unique", () => Unique(code, dataset, view, name, [name]));
                }
                if (field.References is { } reference)
                {
                    Add($"{code}.{name} references", () => References(code, dataset, view, name, reference, request));
                }
            }
            if (dataset.Unique is { Count: > 0 } composite)
            {
                Add($"{code} unique", () => Unique(code, dataset, view, string.Join('|', composite), composite));
            }
            foreach (var check in dataset.Checks)
            {
                Add($"{code} check {check.Name}", () => new CompiledRule(code, dataset.Unit, check.Field, "check:" + check.Name, QualityDimension.Validity,
                    $"SELECT {key} AS key, CAST({QualitySql.Quote(check.Field)} AS VARCHAR) AS value FROM {view} " +
                    $"WHERE NOT coalesce(({QualitySql.Expand(check.Valid, request.AsOf, request.Views)}), true)"));
            }
        }

        if (rules.Consistency.Districts is { } districts)
        {
            foreach (var target in districts.Targets)
            {
                Add($"{target.Dataset}.{target.Field} district consistency", () => District(rules, districts.Reference, target, request));
            }
        }
        if (rules.Consistency.Deaths is { } deaths)
        {
            foreach (var target in deaths.Targets)
            {
                Add($"{target.Dataset}.{target.Field} death consistency", () => Death(rules, deaths.Sources, target, request));
            }
        }
        return (compiled, skipped);
    }

    private static string KeyExpression(IReadOnlyList<string> columns) => columns.Count == 1
        ? $"CAST({QualitySql.Quote(columns[0])} AS VARCHAR)"
        : $"concat_ws('|', {string.Join(", ", columns.Select(c => $"CAST({QualitySql.Quote(c)} AS VARCHAR)"))})";

    /// <summary>Every record whose (composite) value occurs more than once; each copy shares the key, so the key is reported once.</summary>
    private static CompiledRule Unique(string code, DatasetRules dataset, string view, string field, IReadOnlyList<string> columns)
    {
        var value = KeyExpression(columns);
        return new CompiledRule(code, dataset.Unit, field, "unique", QualityDimension.Uniqueness,
            $"SELECT DISTINCT {KeyExpression(dataset.Key)} AS key, {value} AS value FROM {view} " +
            $"WHERE {string.Join(" AND ", columns.Select(c => $"{QualitySql.Quote(c)} IS NOT NULL"))} " +
            $"QUALIFY count(*) OVER (PARTITION BY {string.Join(", ", columns.Select(QualitySql.Quote))}) > 1");
    }

    private static CompiledRule References(string code, DatasetRules dataset, string view, string field, string reference, QualityRunRequest request)
    {
        var (refDataset, refField) = (reference.Split('.')[0], reference.Split('.')[1]);
        var refView = request.Views.TryGetValue(refDataset, out var name) ? QualitySql.Quote(name) : throw new MissingViewException(refDataset);
        var v = $"CAST(t.{QualitySql.Quote(field)} AS VARCHAR)";
        return new CompiledRule(code, dataset.Unit, field, "references:" + reference, QualityDimension.Integrity,
            $"SELECT {KeyExpression(dataset.Key).Replace("CAST(\"", "CAST(t.\"", StringComparison.Ordinal)} AS key, {v} AS value FROM {view} t " +
            $"ANTI JOIN (SELECT DISTINCT CAST({QualitySql.Quote(refField)} AS VARCHAR) AS ref FROM {refView}) r ON {v} = r.ref " +
            $"WHERE {v} IS NOT NULL AND trim({v}) <> ''");
    }

    /// <summary>
    /// A person's district in a target dataset differs from where the reference dataset says the person lives. People are
    /// matched on the first 17 characters of the resident ID; a person the reference places in more than one district is
    /// not judged.
    /// </summary>
    private static CompiledRule District(QualityRuleSet rules, PersonColumn reference, PersonColumn target, QualityRunRequest request)
    {
        var targetRules = DatasetOf(rules, target.Dataset);
        var refView = ViewOf(reference.Dataset, request);
        var targetView = ViewOf(target.Dataset, request);
        var person = $"left(CAST({QualitySql.Quote(reference.Person)} AS VARCHAR), 17)";
        var district = reference.Address is { } address
            ? $"coalesce(s.district_code, d.district_code)"
            : $"CAST({QualitySql.Quote(reference.Field ?? throw new InvalidOperationException("a districts reference names a field or an address"))} AS VARCHAR)";
        var joins = reference.Address is { } a
            ? $"LEFT JOIN cb_ref_streets s ON s.name = cb_street_of(r.{QualitySql.Quote(a)}) LEFT JOIN cb_ref_districts d ON d.name = cb_district_named_in(r.{QualitySql.Quote(a)})"
            : "";
        var field = QualitySql.Quote(target.Field ?? throw new InvalidOperationException("a districts target names its field"));
        var v = $"CAST(t.{field} AS VARCHAR)";
        return new CompiledRule(target.Dataset, targetRules.Unit, target.Field, "consistency:district", QualityDimension.Consistency, $"""
            WITH wanted AS (
              SELECT DISTINCT left(CAST({QualitySql.Quote(target.Person)} AS VARCHAR), 17) AS cb_person FROM {targetView}
            ),
            ref AS (
              SELECT {person} AS cb_person, min({district}) AS cb_district
              FROM {refView} r {joins}
              WHERE {person} IN (SELECT cb_person FROM wanted)
              GROUP BY 1
              HAVING min({district}) = max({district})
            )
            SELECT DISTINCT {TargetKey(targetRules)} AS key, {v} AS value
            FROM {targetView} t JOIN ref ON left(CAST(t.{QualitySql.Quote(target.Person)} AS VARCHAR), 17) = ref.cb_person
            WHERE {v} IS NOT NULL AND trim({v}) <> '' AND trim({v}) <> ref.cb_district
            """);
    }

    /// <summary>A record of a person whom some department knows to be dead that still treats the person as alive.</summary>
    private static CompiledRule Death(QualityRuleSet rules, IReadOnlyList<PersonColumn> sources, PersonColumn target, QualityRunRequest request)
    {
        var targetRules = DatasetOf(rules, target.Dataset);
        var deaths = string.Join("\n  UNION ALL\n  ", sources.Select(s =>
            $"SELECT left(CAST({QualitySql.Quote(s.Person)} AS VARCHAR), 17) AS cb_person, " +
            $"CAST(({QualitySql.Expand(s.Time ?? "NULL", request.AsOf, request.Views)}) AS TIMESTAMP) AS death_time " +
            $"FROM {ViewOf(s.Dataset, request)} WHERE {QualitySql.Quote(s.Person)} IS NOT NULL" +
            (s.When is { } when ? $" AND ({QualitySql.Expand(when, request.AsOf, request.Views)})" : "")));
        var field = QualitySql.Quote(target.Field ?? throw new InvalidOperationException("a deaths target names its field"));
        return new CompiledRule(target.Dataset, targetRules.Unit, target.Field, "consistency:death", QualityDimension.Consistency, $"""
            WITH dead AS (
              SELECT cb_person, min(death_time) AS death_time FROM (
                {deaths}
              ) GROUP BY cb_person
            )
            SELECT DISTINCT {TargetKey(targetRules)} AS key, CAST(t.{field} AS VARCHAR) AS value
            FROM {ViewOf(target.Dataset, request)} t JOIN dead ON left(CAST(t.{QualitySql.Quote(target.Person)} AS VARCHAR), 17) = dead.cb_person
            WHERE coalesce(({QualitySql.Expand(target.Stale ?? "true", request.AsOf, request.Views)}), false)
            """);
    }

    private static string TargetKey(DatasetRules dataset) =>
        KeyExpression(dataset.Key).Replace("CAST(\"", "CAST(t.\"", StringComparison.Ordinal);

    private static DatasetRules DatasetOf(QualityRuleSet rules, string dataset) =>
        rules.Datasets.TryGetValue(dataset, out var declared) ? declared : throw new MissingViewException(dataset);

    private static string ViewOf(string dataset, QualityRunRequest request) =>
        request.Views.TryGetValue(dataset, out var view) ? QualitySql.Quote(view) : throw new MissingViewException(dataset);
}
