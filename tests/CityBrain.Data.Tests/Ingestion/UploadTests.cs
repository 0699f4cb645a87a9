using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Tests.Ingestion;

[Collection(DemoLakeCollection.Name)]
public sealed class UploadTests(DemoLake lake) : IAsyncLifetime
{
    private readonly string _dataset = "dsj.survey_" + Guid.NewGuid().ToString("N")[..6];
    private HttpClient _operator = null!;

    static UploadTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    public async ValueTask InitializeAsync()
    {
        await lake.Registry.ApplyAsync(new RegistryManifest
        {
            Datasets = [new DatasetSpec
            {
                Code = _dataset, Unit = "dsj", Name = "社区走访记录", UpdateFrequency = "monthly", Sharing = "conditional",
                Fields = [new FieldSpec { Name = "id", Level = "public" }, new FieldSpec { Name = "name", Level = "personal", Mask = "name" }, new FieldSpec { Name = "note", Level = "internal" }],
            }],
        }, DemoLake.Admin, CancellationToken.None);
        _operator = lake.Client(new Caller("operator@dsj", HubRoles.UnitOperator, "dsj", null, null));
    }

    [Fact]
    public async Task Upload_CsvUtf8_BecomesAVersionWithItsRows()
    {
        var result = await UploadAsync("survey.csv", "csv", Encoding.UTF8.GetBytes("id,name,note\n1,张三,\"走访, 已完成\"\n2,李四,\n"));

        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal(2, (long)result.Body["rowCount"]!);
        Assert.Equal("UTF-8", (string)result.Body["encoding"]!);
        Assert.Equal(["1|张三|走访, 已完成", "2|李四|"], await RowsAsync());
    }

    [Fact]
    public async Task Upload_CsvGbk_IsDetectedAndStoredAsText()
    {
        var result = await UploadAsync("survey-gbk.csv", "csv", Encoding.GetEncoding(936).GetBytes("id,name,note\n1,王五,西湖区\n"));

        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal("GBK", (string)result.Body["encoding"]!);
        Assert.Equal(["1|王五|西湖区"], await RowsAsync());
    }

    [Fact]
    public async Task Upload_JsonAndParquet_LoadTheSameRecords()
    {
        var json = await UploadAsync("survey.json", "json", Encoding.UTF8.GetBytes("""[{"id":"1","name":"赵六","note":null},{"id":2,"name":"钱七","note":"ok"}]"""));
        Assert.Equal(HttpStatusCode.OK, json.Status);
        Assert.Equal(["1|赵六|", "2|钱七|ok"], await RowsAsync());

        var parquet = Path.Combine(lake.Root, _dataset + ".parquet");
        await using (var connection = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:"))
        {
            await connection.OpenAsync();
            Lake.Lake.Execute(connection, $"COPY (SELECT 3 AS id, '孙八' AS name, 'p' AS note) TO '{parquet}' (FORMAT parquet)");
        }
        var loaded = await UploadAsync("survey.parquet", "parquet", await File.ReadAllBytesAsync(parquet));

        Assert.Equal(HttpStatusCode.OK, loaded.Status);
        Assert.Equal(["3|孙八|p"], await RowsAsync());
    }

    [Theory]
    [InlineData("id,name,note\n1,张三,a\n2,李四\n", "ragged.csv, row 3, column note: 2 fields where the header has 3")]
    [InlineData("id,name,note\n1,张三,a,b\n", "ragged.csv, row 2, column #4: 4 fields where the header has 3")]
    [InlineData("id,name,note\n1,\"张三,a\n", "ragged.csv, row 2: a quoted field is never closed")]
    [InlineData("id,name,note\n1,\"张\n\"\"三\"\"\",a\n2,李四\n", "ragged.csv, row 4, column note: 2 fields where the header has 3")]
    public async Task Upload_RaggedCsv_IsRefusedNamingRowAndColumn(string csv, string expected)
    {
        await UploadAsync("first.csv", "csv", Encoding.UTF8.GetBytes("id,name,note\n9,周九,x\n"));

        var result = await UploadAsync("ragged.csv", "csv", Encoding.UTF8.GetBytes(csv));

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Contains(expected, (string)result.Body["detail"]!, StringComparison.Ordinal);
        Assert.Equal(["9|周九|x"], await RowsAsync()); // the version before stays; nothing of the bad file is visible
    }

    [Fact]
    public async Task Upload_HugeFieldOrBrokenEncoding_IsRefusedNamingWhere()
    {
        var huge = await UploadAsync("huge.csv", "csv", Encoding.UTF8.GetBytes("id,name,note\n1,张三,ok\n2,李四," + new string('x', 70_000) + "\n"));
        Assert.Equal(HttpStatusCode.BadRequest, huge.Status);
        Assert.Contains("huge.csv, row 3, column note: a field of 70,000 bytes", (string)huge.Body["detail"]!, StringComparison.Ordinal);

        var broken = await UploadAsync("broken.csv", "csv", [.. Encoding.UTF8.GetBytes("id,name,note\n1,张三,ok\n2,"), 0x81, 0xFF, 0xFE, (byte)'\n']);
        Assert.Equal(HttpStatusCode.BadRequest, broken.Status);
        Assert.Contains("broken.csv, row 3: byte", (string)broken.Body["detail"]!, StringComparison.Ordinal);
        Assert.Contains("neither UTF-8 nor GBK", (string)broken.Body["detail"]!, StringComparison.Ordinal);

        var json = await UploadAsync("bad.json", "json", Encoding.UTF8.GetBytes("""[{"id":"1","name":"a","note":"b"},{"id":"2","name":"c"}]"""));
        Assert.Equal(HttpStatusCode.BadRequest, json.Status);
        Assert.Contains("bad.json, row 2, column note: is missing from the record", (string)json.Body["detail"]!, StringComparison.Ordinal);

        var truncated = await UploadAsync("cut.json", "json", Encoding.UTF8.GetBytes("[{\"id\":\"1\",\"name\":\"a\",\"note\":\"b\"},\n{\"id\":\"2\",\"name\":"));
        Assert.Equal(HttpStatusCode.BadRequest, truncated.Status);
        Assert.Contains("cut.json: is not valid JSON at line 2", (string)truncated.Body["detail"]!, StringComparison.Ordinal);

        var hugeJson = await UploadAsync("huge.json", "json", Encoding.UTF8.GetBytes($"[{{\"id\":\"1\",\"name\":\"a\",\"note\":\"{new string('x', 70_000)}\"}}]"));
        Assert.Equal(HttpStatusCode.BadRequest, hugeJson.Status);
        Assert.Contains("huge.json, row 1, column note: a field of 70,000 bytes", (string)hugeJson.Body["detail"]!, StringComparison.Ordinal);

        var parquet = await UploadAsync("bad.parquet", "parquet", Encoding.UTF8.GetBytes("not parquet at all"));
        Assert.Equal(HttpStatusCode.BadRequest, parquet.Status);
        Assert.Contains("bad.parquet: is not a readable Parquet file", (string)parquet.Body["detail"]!, StringComparison.Ordinal);
        Assert.Empty(await RowsAsync());
    }

    [Fact]
    public async Task Upload_ParquetWithHugeField_IsRefusedNamingRowAndColumnAndLeavesNoFile()
    {
        await UploadAsync("first.csv", "csv", Encoding.UTF8.GetBytes("id,name,note\n9,周九,x\n"));
        var parquet = Path.Combine(lake.Root, _dataset + "-huge.parquet");
        await using (var connection = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:"))
        {
            await connection.OpenAsync();
            Lake.Lake.Execute(connection, $"COPY (SELECT i AS id, '孙八' AS name, CASE WHEN i = 2 THEN repeat('x', 70000) ELSE 'ok' END AS note FROM range(5) t(i)) TO '{parquet}' (FORMAT parquet)");
        }

        var huge = await UploadAsync("huge.parquet", "parquet", await File.ReadAllBytesAsync(parquet));

        Assert.Equal(HttpStatusCode.BadRequest, huge.Status);
        Assert.Contains("huge.parquet, row 3, column note: a field of more than 65,536 bytes", (string)huge.Body["detail"]!, StringComparison.Ordinal);
        Assert.Equal(["9|周九|x"], await RowsAsync());
        var versionFiles = Path.Combine(Path.GetDirectoryName(lake.App.Services.GetRequiredService<Lake.Lake>().FilePath)!, "versions");
        Assert.Empty(Directory.GetFiles(versionFiles, Lake.Lake.VersionTable(_dataset, 2) + "*"));
    }

    [Fact]
    public async Task Upload_FileOfAnotherShape_IsReportedAsDriftAndNotLoaded()
    {
        await UploadAsync("v1.csv", "csv", Encoding.UTF8.GetBytes("id,name,note\n1,张三,a\n"));

        var drifted = await UploadAsync("v2.csv", "csv", Encoding.UTF8.GetBytes("id,full_name,note\n2,李四,b\n"));

        Assert.Equal(HttpStatusCode.Conflict, drifted.Status);
        Assert.Contains("v2.csv does not have the columns of " + _dataset + ": unexpected [full_name], missing [name]", (string)drifted.Body["detail"]!, StringComparison.Ordinal);
        Assert.Equal(["1|张三|a"], await RowsAsync());
    }

    [Fact]
    public async Task Upload_ByAnotherUnit_IsRefused()
    {
        using var other = lake.Client(new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null));
        using var response = await other.PostAsync($"/api/data/uploads/{_dataset}?format=csv", new ByteArrayContent(Encoding.UTF8.GetBytes("id,name,note\n")));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> UploadAsync(string fileName, string format, byte[] content)
    {
        using var response = await _operator.PostAsync($"/api/data/uploads/{_dataset}?format={format}&fileName={fileName}", new ByteArrayContent(content));
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!);
    }

    private async Task<List<string>> RowsAsync()
    {
        var store = lake.App.Services.GetRequiredService<Lake.Lake>();
        await using var connection = await store.OpenReadConnectionAsync(CancellationToken.None);
        if (Lake.Versions.Current(connection, _dataset) is null)
        {
            return [];
        }
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT id, name, coalesce(note, '') FROM {Lake.Lake.ViewName(_dataset)} ORDER BY id";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string>();
        while (await reader.ReadAsync())
        {
            rows.Add($"{reader.GetString(0)}|{reader.GetString(1)}|{reader.GetString(2)}");
        }
        return rows;
    }

    public ValueTask DisposeAsync()
    {
        _operator.Dispose();
        return ValueTask.CompletedTask;
    }
}
