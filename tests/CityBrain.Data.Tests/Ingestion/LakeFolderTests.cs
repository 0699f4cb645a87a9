using System.Text;
using CityBrain.Data.Ingestion;
using CityBrain.Hub.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Tests.Ingestion;

/// <summary>Uploaded versions live in Parquet files beside the lake file; the lake must still read them after the data folder moves.</summary>
[Collection(DemoLakeCollection.Name)]
public sealed class LakeFolderTests(DemoLake demo)
{
    [Fact]
    public async Task Open_DataFolderMovedAfterUploads_UploadedVersionsStillRead()
    {
        var before = Path.Combine(demo.Root, "moved-" + Guid.NewGuid().ToString("N")[..6], "lake");
        var after = before.Replace("moved-", "moved-to-", StringComparison.Ordinal);
        var csv = Path.Combine(demo.Root, "folder-test.csv");
        await File.WriteAllTextAsync(csv, "id,name\n1,张三\n2,李四\n", TestContext.Current.CancellationToken);
        using (var lake = new Lake.Lake(before))
        {
            var files = new FileIngestion(lake, demo.App.Services.GetRequiredService<IAuditLog>(), TimeProvider.System);
            await files.LoadAsync("dsj.folder_test", csv, "folder-test.csv", "csv", null, "test", TestContext.Current.CancellationToken);
            await files.LoadAsync("dsj.folder_test", csv, "folder-test.csv", "csv", null, "test", TestContext.Current.CancellationToken);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(after)!);
        Directory.Move(before, after);

        using var moved = new Lake.Lake(after);
        await using var connection = await moved.OpenReadConnectionAsync(TestContext.Current.CancellationToken);

        Assert.False(Directory.Exists(before));
        Assert.Equal(2L, Lake.Lake.Scalar(connection, "SELECT count(*) FROM dsj_folder_test"));
        Assert.Equal("张三", Lake.Lake.Scalar(connection, "SELECT name FROM ds_dsj_folder_test_v1 WHERE id = '1'"));
    }
}
