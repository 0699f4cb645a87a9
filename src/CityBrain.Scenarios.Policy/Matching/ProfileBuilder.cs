using System.Globalization;
using System.Text;
using DuckDB.NET.Data;

namespace CityBrain.Scenarios.Policy.Matching;

/// <summary>
/// Builds resident_profile and enterprise_profile in a DuckDB database from the departments' datasets, set-based.
/// The datasets are read under their catalog names (gaj_rk, mzj_dibao ...), as the lake's views name them; for the demo
/// city they are the department files of DATA/city/departments, read as text like the lake stores them.
/// </summary>
internal static class ProfileBuilder
{
    /// <summary>The datasets the profiles are built from (catalog code → file under departments/).</summary>
    public static readonly IReadOnlyList<string> Datasets =
    [
        "gaj.rk", "mzj.dibao", "mzj.disability", "mzj.deaths", "rsj.persons", "rsj.insurance", "rsj.units", "scjgj.qy", "swj.nsr",
        "wjw.death_certificates", "ybj.insured",
    ];

    /// <summary>Opens an in-memory DuckDB with the city's department files as views named like the lake's.</summary>
    public static async Task<DuckDBConnection> OpenCityAsync(string cityDirectory, CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(cancellationToken);
        foreach (var dataset in Datasets)
        {
            var parts = dataset.Split('.');
            var file = Path.Combine(cityDirectory, "departments", parts[0], parts[1] + ".csv");
            if (!File.Exists(file))
            {
                await connection.DisposeAsync();
                throw new FileNotFoundException($"the city has no {dataset} dataset ({file}); generate a city first (citybrain city generate)", file);
            }
            await ExecuteAsync(connection, $"CREATE VIEW {parts[0]}_{parts[1]} AS SELECT * FROM read_csv('{file.Replace("'", "''", StringComparison.Ordinal)}', header = true, all_varchar = true, quote = '\"', escape = '\"')", cancellationToken);
        }
        return connection;
    }

    /// <summary>(Re)builds both profile tables as of <paramref name="referenceDate"/>.</summary>
    public static async Task BuildAsync(DuckDBConnection connection, DateOnly referenceDate, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, Macros, cancellationToken);
        using var reader = new StreamReader(typeof(ProfileBuilder).Assembly.GetManifestResourceStream("CityBrain.Scenarios.Policy.Matching.profiles.sql")!);
        var sql = (await reader.ReadToEndAsync(cancellationToken)).Replace("{ref}", referenceDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal);
        await ExecuteAsync(connection, sql, cancellationToken);
    }

    private static readonly string Macros = BuildMacros();

    private static string BuildMacros()
    {
        int[] idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        var idSum = string.Join(" + ", idWeights.Select((w, i) => $"CAST(substr(x, {i + 1}, 1) AS INTEGER) * {w}"));
        int[] creditWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
        const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        var creditSum = string.Join(" + ", creditWeights.Select((w, i) => $"(strpos('{Alphabet}', substr(x, {i + 1}, 1)) - 1) * {w}"));
        var sql = new StringBuilder();
        // GB 11643: the 17 digits and their MOD 11-2 check character; NULL for anything that is not 17 digits and one more.
        sql.Append(CultureInfo.InvariantCulture, $$"""
            CREATE OR REPLACE MACRO fix_id(x) AS CASE WHEN x IS NULL OR length(x) <> 18 OR NOT regexp_full_match(substr(x, 1, 17), '[0-9]{17}') THEN NULL
                ELSE substr(x, 1, 17) || substr('10X98765432', (({{idSum}}) % 11) + 1, 1) END;
            """);
        sql.AppendLine();
        // GB 32100: 17 characters of the code's alphabet and their MOD 31 check character.
        sql.Append(CultureInfo.InvariantCulture, $$"""
            CREATE OR REPLACE MACRO fix_uscc(x) AS CASE WHEN x IS NULL OR length(x) <> 18 OR NOT regexp_full_match(substr(x, 1, 17), '[0-9A-HJ-NPQRTUWXY]{17}') THEN NULL
                ELSE substr(x, 1, 17) || substr('{{Alphabet}}', ((31 - ({{creditSum}}) % 31) % 31) + 1, 1) END;
            """);
        return sql.ToString();
    }

    /// <summary>The rows of one dataset as the run read them (for the audit record of the read).</summary>
    public static async Task<long> CountRowsAsync(DuckDBConnection connection, string dataset, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*) FROM {dataset.Replace('.', '_')}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    internal static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
