using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace CityBrain.SyntheticCity.Departments.Tests;

/// <summary>The fixture city written to a temporary folder and its eight department systems running on loopback.</summary>
public sealed class RunningCity : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "citybrain-dept-" + Guid.NewGuid().ToString("N")[..10]);

    public string CityDirectory => Path.Combine(Root, "city");

    public string DataDirectory => Path.Combine(Root, "data");

    public DepartmentCluster Cluster { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        FixtureCity.Write(CityDirectory);
        Cluster = await DepartmentCluster.StartAsync(CityDirectory, DataDirectory, CancellationToken.None);
    }

    /// <summary>A client for one department, presenting the credentials the hub would.</summary>
    public HttpClient Client(string department, bool authenticated = true)
    {
        var client = new HttpClient { BaseAddress = Cluster.BaseUrls[department], Timeout = TimeSpan.FromSeconds(30) };
        if (authenticated)
        {
            var credentials = Cluster.Registry.Systems.Single(s => s.Unit == department).Credentials!;
            client.DefaultRequestHeaders.TryAddWithoutValidation(credentials.Header!, credentials.Value);
        }
        return client;
    }

    public async Task<(int Status, JsonObject Body)> GetAsync(string department, string pathAndQuery, bool authenticated = true)
    {
        using var client = Client(department, authenticated);
        using var response = await client.GetAsync(pathAndQuery);
        var text = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"not a JSON object: {text}"));
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
    }
}
