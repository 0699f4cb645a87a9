using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Tests.Ingestion;

/// <summary>
/// The declarative mappings at work: each department writes dates its own way (gaj <c>1978-01-12</c>, wjw
/// <c>2025-06-26T00:31:20+08:00</c>) under its own column names (CSRQ, birth_time), and <c>std_person</c> must give the
/// same person the same standard value whichever department the row came from.
/// </summary>
[Collection(DemoLakeCollection.Name)]
public sealed class StandardViewTests(DemoLake lake)
{
    [Theory]
    [InlineData("birth_date", "gaj.rk", "wjw.births")]
    [InlineData("death_date", "mzj.deaths", "wjw.death_certificates")]
    public async Task StdPerson_SamePersonFromTwoDepartmentsWithOtherFormats_SameStandardDate(string field, string first, string second)
    {
        var dirty = DirtyResidentIds();
        await using var connection = await lake.App.Services.GetRequiredService<Lake.Lake>().OpenReadConnectionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT a.resident_id, a.{field}::VARCHAR, b.{field}::VARCHAR
            FROM std_person a JOIN std_person b USING (resident_id)
            WHERE a.source_dataset = '{first}' AND b.source_dataset = '{second}'
            """;
        var pairs = 0;
        var disagreeing = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                if (dirty.Contains(reader.GetString(0)))
                {
                    continue;
                }
                pairs++;
                var (a, b) = (reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
                if (a is null || a != b)
                {
                    disagreeing.Add($"{a ?? "null"} vs {b ?? "null"}");
                }
            }
        }

        Assert.True(pairs >= 5, $"only {pairs} people are in both {first} and {second}");
        Assert.Empty(disagreeing);
    }

    [Fact]
    public async Task StdEnterprise_EveryMappedSource_CreditCodeAndNameUnderStandardNames()
    {
        await using var connection = await lake.App.Services.GetRequiredService<Lake.Lake>().OpenReadConnectionAsync(CancellationToken.None);

        var sources = Lake.Lake.Scalar(connection, "SELECT string_agg(DISTINCT source_dataset, ',' ORDER BY source_dataset) FROM std_enterprise");
        var unnamed = Lake.Lake.Scalar(connection, "SELECT count(*) FROM std_enterprise WHERE credit_code IS NULL OR name IS NULL");
        var sameName = Lake.Lake.Scalar(connection, """
            SELECT count(*) FILTER (WHERE q.name = n.name) = count(*) AND count(*) > 0
            FROM std_enterprise q JOIN (SELECT DISTINCT credit_code, name FROM std_enterprise WHERE source_dataset = 'swj.nsr') n USING (credit_code)
            WHERE q.source_dataset = 'scjgj.qy'
            """);

        Assert.Equal("scjgj.qy,swj.nsr", sources);
        Assert.Equal(0L, unnamed);
        Assert.Equal(true, sameName); // the registration's entname and the tax return's nsrmc meet under one name
    }

    /// <summary>Resident IDs whose records carry planted dirt (a wrong date is then the point, not a mapping fault).</summary>
    private HashSet<string> DirtyResidentIds() =>
        [.. File.ReadLines(Path.Combine(lake.CityDirectory, "truth", "dirt.csv")).Skip(1).Select(line => line.Split(',')[3].Split('|')[0])];
}
