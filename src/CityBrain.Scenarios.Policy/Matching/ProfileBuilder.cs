using System.Globalization;
using System.Text;
using DuckDB.NET.Data;

namespace CityBrain.Scenarios.Policy.Matching;

/// <summary>
/// Builds resident_profile and enterprise_profile in a DuckDB database from the departments' datasets, set-based.
/// The datasets are read under their catalog names (gaj_rk, mzj_dibao ...), as the lake's views name them, every column
/// text. A policy run reads them from the lake under its grants (<see cref="OpenReadsAsync"/>); the developer's ground-truth
/// check and explanations read the generated city's department files (<see cref="OpenCityAsync"/>).
/// </summary>
internal static class ProfileBuilder
{
    /// <summary>
    /// The datasets the profiles are built from, and the fields profiles.sql reads from each: what a policy needing the
    /// dataset is granted and reads, and all of them in clear (they are the keys the profiles join on and the values the
    /// rules and the blocking flags are computed from).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> Fields = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal)
    {
        ["gaj.rk"] = ["SFZH", "XB", "HKXZ", "HJQH", "SWBZ", "SWRQ", "QCRQ", "QWQH"],
        ["mzj.dibao"] = ["idNumber", "status", "monthlyAmount"],
        ["mzj.disability"] = ["idNumber", "certificateNo", "grade"],
        ["mzj.deaths"] = ["idNumber", "deathDate"],
        ["rsj.persons"] = ["id_no", "district_code", "employer_uscc", "employment_status", "monthly_wage"],
        ["rsj.insurance"] = ["id_no", "pension_months", "unemployment_months", "pension_monthly"],
        ["rsj.units"] = ["uscc", "insured_employees", "unemployment_insurance_paid", "layoffs"],
        ["scjgj.qy"] = ["uniscid", "industryco", "entscale", "regstate"],
        ["swj.nsr"] = ["nsrsbh", "ssq", "ynse"],
        ["wjw.death_certificates"] = ["person_id", "death_time"],
        ["ybj.insured"] = ["psn_no", "insu_admdvs"],
    };

    /// <summary>The datasets the profiles are built from (catalog codes).</summary>
    public static IReadOnlyList<string> Datasets { get; } = [.. Fields.Keys];

    /// <summary>Opens an in-memory DuckDB with the city's department files as views named like the lake's.</summary>
    public static async Task<DuckDBConnection> OpenCityAsync(string cityDirectory, CancellationToken cancellationToken)
    {
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dataset in Datasets)
        {
            var parts = dataset.Split('.');
            var file = Path.Combine(cityDirectory, "departments", parts[0], parts[1] + ".csv");
            if (!File.Exists(file))
            {
                throw new FileNotFoundException($"the city has no {dataset} dataset ({file}); generate a city first (citybrain city generate)", file);
            }
            sources[dataset] = $"read_csv({Literal(file)}, header = true, all_varchar = true, quote = '\"', escape = '\"')";
        }
        return await OpenAsync(sources, cancellationToken);
    }

    /// <summary>
    /// Opens an in-memory DuckDB over the datasets a run read from the lake (catalog code → Parquet file of the granted
    /// fields). A dataset the policy does not need stays empty, with its columns: the profile fields built from it are then
    /// empty too, and no rule of the policy reads them (<see cref="Rules.PolicyDefinition.Needs"/>).
    /// </summary>
    public static Task<DuckDBConnection> OpenReadsAsync(IReadOnlyDictionary<string, string> files, CancellationToken cancellationToken) =>
        OpenAsync(Datasets.ToDictionary(d => d, d => files.TryGetValue(d, out var file)
            ? $"read_parquet({Literal(file)})"
            : "(SELECT " + string.Join(", ", Fields[d].Select(f => $"NULL::VARCHAR AS \"{f}\"")) + " WHERE false)", StringComparer.Ordinal), cancellationToken);

    private static async Task<DuckDBConnection> OpenAsync(IReadOnlyDictionary<string, string> sources, CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        try
        {
            await connection.OpenAsync(cancellationToken);
            foreach (var (dataset, source) in sources)
            {
                await ExecuteAsync(connection, $"CREATE VIEW {dataset.Replace('.', '_')} AS SELECT * FROM {source}", cancellationToken);
            }
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

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

    internal static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
