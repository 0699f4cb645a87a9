using System.Data.Common;
using CityBrain.Data.Ingestion;
using CityBrain.Kernel.Errors;

namespace CityBrain.Data.Lake;

/// <summary>
/// The standard-field views (<c>std_person</c>, <c>std_enterprise</c>): generated from the declarative mappings as a
/// UNION ALL BY NAME over every loaded source, each row with its <c>source_dataset</c>. A mapping value is
/// <c>field</c> or <c>field|converter</c>; converters turn each department's formats into one: <c>date:yyyyMMdd</c>
/// (any .NET-style pattern), <c>date:iso</c> (ISO 8601 with offset, date part), <c>date:epoch-ms</c>.
/// </summary>
internal static class StandardViews
{
    /// <summary>Refuses a mapping that names a field the dataset does not have, naming the mapping's file, the entry and the field.</summary>
    public static void Check(SourceMapping mapping, IReadOnlyList<string> columns)
    {
        var named = mapping.Standard.SelectMany(view => view.Value.Select(f => (Entry: $"standard.{view.Key}.{f.Key}", Field: f.Value.Split('|')[0])))
            .Concat(mapping.Subject.Select(s => (Entry: "subject." + s.Key, Field: s.Value)));
        var missing = named.Where(n => !columns.Contains(n.Field, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            var where = string.IsNullOrEmpty(mapping.File) ? mapping.Dataset : $"{mapping.File}, dataset {mapping.Dataset}";
            throw new ValidationFailedException("mapping", $"{where}: {string.Join("; ", missing.Select(m => $"{m.Entry} names column {m.Field}"))}, which {mapping.Dataset} does not have (columns: {string.Join(", ", columns)}); nothing was loaded");
        }
    }

    /// <summary>Recreates every standard view over the datasets loaded so far.</summary>
    public static void Refresh(DbConnection connection, IReadOnlyList<SourceMapping> mappings, IReadOnlySet<string> loaded)
    {
        foreach (var group in mappings.SelectMany(m => m.Standard.Select(s => (View: s.Key, Mapping: m, Fields: s.Value))).GroupBy(s => s.View, StringComparer.Ordinal))
        {
            var parts = group.Where(s => loaded.Contains(s.Mapping.Dataset)).Select(s =>
                "SELECT " + string.Join(", ", s.Fields.Select(f => $"{Expression(f.Value)} AS {Lake.Quote(f.Key)}"))
                + $", '{s.Mapping.Dataset}' AS source_dataset FROM {Lake.ViewName(s.Mapping.Dataset)}").ToList();
            if (parts.Count > 0)
            {
                Lake.Execute(connection, $"CREATE OR REPLACE VIEW std_{group.Key} AS {string.Join(" UNION ALL BY NAME ", parts)}");
            }
        }
    }

    public static string Expression(string mapped)
    {
        var parts = mapped.Split('|', 2);
        var column = Lake.Quote(parts[0]);
        return parts.Length == 1 ? column : parts[1] switch
        {
            "date:iso" => $"try_strptime(left({column}, 10), '%Y-%m-%d')::DATE",
            "date:epoch-ms" => $"make_timestamp(try_cast({column} AS BIGINT) * 1000)::DATE",
            var c when c.StartsWith("date:", StringComparison.Ordinal) => $"try_strptime({column}, '{StrfTime(c[5..])}')::DATE",
            var c => throw new ValidationFailedException("mapping", $"unknown converter '{c}' for {parts[0]}"),
        };
    }

    private static string StrfTime(string pattern) => pattern
        .Replace("yyyy", "%Y", StringComparison.Ordinal).Replace("MM", "%m", StringComparison.Ordinal).Replace("dd", "%d", StringComparison.Ordinal)
        .Replace("HH", "%H", StringComparison.Ordinal).Replace("mm", "%M", StringComparison.Ordinal).Replace("ss", "%S", StringComparison.Ordinal);
}
