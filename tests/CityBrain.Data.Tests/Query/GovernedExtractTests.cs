using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Tests.Query;

/// <summary>The governed whole-dataset read (IDatasetExtracts) that scenarios use for bulk work, on the demo lake.</summary>
[Collection(DemoLakeCollection.Name)]
public sealed class GovernedExtractTests(DemoLake lake) : IDisposable
{
    private const string Purpose = "bulk-eligibility";
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "citybrain-extract-" + Guid.NewGuid().ToString("N")[..10]);

    private IDatasetExtracts Extracts => lake.App.Services.GetRequiredService<IDatasetExtracts>();

    [Fact]
    public async Task Extract_GrantWithMaskedFields_FileHoldsOnlyTheAskedFieldsMaskedAsGrantedAndOneAuditRecord()
    {
        var ct = TestContext.Current.CancellationToken;
        var system = "bulk-" + Guid.NewGuid().ToString("N")[..6];
        using var consumer = await lake.ConsumerWithGrantAsync(system, Purpose, ("gaj.rk", ["XB", "HJQH"], ["SFZH", "XM"]));

        var read = await Extracts.ExtractAsync(new ExtractRequest(system, "gaj.rk", ["SFZH", "XM", "XB"], ["XB"], Purpose, _folder,
            new Dictionary<string, string?> { ["job"] = "test" }), ct);

        Assert.Equal(lake.FileRows("gaj.rk"), read.Rows);
        Assert.Equal(["SFZH", "XM"], read.MaskedFields);
        var rows = Rows(read.File);
        Assert.Equal(read.Rows, rows.Count);
        Assert.Equal(["SFZH", "XM", "XB"], rows[0].Keys);
        // Every value as the department holds it, masked where the grant says so, the rest in clear.
        var declared = (await lake.App.Services.GetRequiredService<IRegistryReader>().FindDatasetAsync("gaj.rk", ct))!.Fields.ToDictionary(f => f.Name, f => f.Mask);
        var original = File.ReadLines(Path.Combine(lake.CityDirectory, "departments", "gaj", "rk.csv")).Skip(1).Select(l => l.Split(','))
            .Select(p => (Id: p[0], Name: p[1], Sex: p[2])).ToList();
        Assert.Equal(original.Select(o => (Masking.Mask(o.Id, declared["SFZH"]), Masking.Mask(o.Name, declared["XM"]), o.Sex)).Order(),
            rows.Select(r => (r["SFZH"]!, r["XM"]!, r["XB"]!)).Order());
        Assert.DoesNotContain(rows, r => original.Any(o => o.Id == r["SFZH"]));

        using var auditor = lake.Client(DemoLake.Admin);
        JsonNode? audited = null;
        for (long after = 0; ;)
        {
            var page = (await auditor.GetFromJsonAsync<JsonArray>($"/api/hub/audit?limit=1000&after={after}", ct))!;
            if (page.Count == 0)
            {
                break;
            }
            audited = page.LastOrDefault(r => (string)r!["actor"]! == "system:" + system) ?? audited;
            after = (long)page[^1]!["seq"]!;
        }
        Assert.NotNull(audited);
        Assert.Equal(("data.query", "dataset:gaj.rk", Purpose), ((string)audited["action"]!, (string)audited["resource"]!, (string)audited["purpose"]!));
        var detail = JsonNode.Parse((string)audited["detail"]!)!;
        Assert.Equal(("SFZH,XM,XB", "SFZH,XM", read.Rows.ToString(System.Globalization.CultureInfo.InvariantCulture), read.GrantId, "test"),
            ((string)detail["fields"]!, (string)detail["masked"]!, (string)detail["rows"]!, (string)detail["grant"]!, (string)detail["job"]!));
    }

    [Fact]
    public async Task Extract_FieldOutsideTheGrantOrMaskedButNeededInClear_RefusedNamingTheFieldAndNothingWritten()
    {
        var ct = TestContext.Current.CancellationToken;
        var system = "bulk-" + Guid.NewGuid().ToString("N")[..6];
        using var consumer = await lake.ConsumerWithGrantAsync(system, Purpose, ("gaj.rk", ["XB"], ["SFZH"]));

        var outside = await Assert.ThrowsAsync<ForbiddenException>(() => Extracts.ExtractAsync(new ExtractRequest(system, "gaj.rk", ["SFZH", "HKXZ"], [], Purpose, _folder), ct));
        var maskedOnly = await Assert.ThrowsAsync<ForbiddenException>(() => Extracts.ExtractAsync(new ExtractRequest(system, "gaj.rk", ["SFZH", "XB"], ["SFZH"], Purpose, _folder), ct));
        var otherPurpose = await Assert.ThrowsAsync<ForbiddenException>(() => Extracts.ExtractAsync(new ExtractRequest(system, "gaj.rk", ["XB"], [], "marketing", _folder), ct));

        Assert.Contains("does not release HKXZ of gaj.rk", outside.Message, StringComparison.Ordinal);
        Assert.Contains("SFZH of gaj.rk is released only masked", maskedOnly.Message, StringComparison.Ordinal);
        Assert.Contains("not 'marketing'", otherPurpose.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_folder) && Directory.EnumerateFiles(_folder).Any());
    }

    private static List<Dictionary<string, string?>> Rows(string parquet)
    {
        using var duck = new DuckDBConnection("DataSource=:memory:");
        duck.Open();
        using var command = duck.CreateCommand();
        command.CommandText = $"SELECT * FROM read_parquet('{parquet.Replace("'", "''", StringComparison.Ordinal)}')";
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, string?>>();
        while (reader.Read())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetString(i)));
        }
        return rows;
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
