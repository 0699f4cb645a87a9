using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Data;
using CityBrain.Host;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.SyntheticCity.Departments;
using CityBrain.SyntheticCity.Generation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Benchmarks.Data;

/// <summary>
/// `dotnet run -c Release --project bench/CityBrain.Benchmarks -- profile-load-run [--residents 10000] [--lookups 2000]`:
/// 一人一档 as a consumer gets it. A generated city, its department systems, the real host on loopback (SQLite), every
/// dataset ingested through the hub; a consumer system granted every dataset (personal fields masked) asks
/// <c>GET /api/data/profiles/person/{id}</c> for one resident after another, each answer checked to hold sections.
/// Each lookup is the whole path: token, profile index, one grant lookup per dataset, masking, the audit record
/// committed. Prints p50/p90/p99/max. Figures go to docs/benchmarks.md.
/// </summary>
internal static class ProfileLoadRun
{
    private const string Purpose = "profile-load-run";

    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var residents = args.Int("residents", 10_000);
        var lookups = args.Int("lookups", 2_000);
        var root = Path.Combine(Path.GetTempPath(), "citybrain-profile-load-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var city = Path.Combine(root, "city");
        var data = Path.Combine(root, "data");
        try
        {
            var setup = Stopwatch.StartNew();
            await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = residents, Seed = 1, OutputDirectory = city }, null, cancellationToken);
            await using var departments = await DepartmentCluster.StartAsync(city, data, null, cancellationToken);
            await using var app = CityBrainHost.Create(new HostSettings(data, "sqlite:" + Path.Combine(data, "citybrain.db"), "http://127.0.0.1:0"),
                builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
            await CityBrainHost.PrepareAsync(app, cancellationToken);
            await app.StartAsync(cancellationToken);
            var baseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            var admin = new Caller("admin", HubRoles.Admin, "dsj", null, null);
            await app.Services.GetRequiredService<IRegistryAdmin>().ApplyAsync(departments.Registry, admin, cancellationToken);
            var ingested = await DataBootstrap.IngestDemoCityAsync(app.Services, baseAddress, incremental: false, progress: null, cancellationToken);
            Console.WriteLine($"profile load run: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {residents:N0} residents, {ingested.Datasets.Count} datasets ingested ({ingested.Datasets.Sum(d => d.RowCount):N0} rows) in {setup.Elapsed.TotalSeconds:F0} s");

            using var consumer = await ConsumerGrantedEverythingAsync(app.Services, baseAddress, cancellationToken);
            var subjects = await SubjectsAsync(app.Services, lookups, cancellationToken);
            if (subjects.Count == 0)
            {
                throw new InvalidOperationException("the profile index holds no person");
            }

            var warmUp = Math.Min(200, subjects.Count);
            for (var i = 0; i < warmUp; i++)
            {
                await LookupAsync(consumer, subjects[i], cancellationToken);
            }
            var latencies = new double[lookups];
            var sections = 0L;
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            for (var i = 0; i < lookups; i++)
            {
                var clock = Stopwatch.StartNew();
                sections += await LookupAsync(consumer, subjects[i % subjects.Count], cancellationToken);
                latencies[i] = clock.Elapsed.TotalMilliseconds;
            }
            wall.Stop();
            var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            Array.Sort(latencies);
            Console.WriteLine($"{lookups:N0} lookups of {Math.Min(lookups, subjects.Count):N0} different residents, one at a time, {sections / (double)lookups:F1} datasets per profile: "
                + $"p50 {Rank(latencies, 0.50):F2} ms, p90 {Rank(latencies, 0.90):F2} ms, p99 {Rank(latencies, 0.99):F2} ms, max {latencies[^1]:F2} ms (target < 10 ms); "
                + $"{lookups / wall.Elapsed.TotalSeconds:N0} lookups/s, {used.TotalMilliseconds * 1000 / lookups:N0} µs processor per lookup; load average {LoadAverage()}");

            // The same lookups in process (GovernedQuery.ProfileAsync: index, grants, masking, audit), without HTTP and the token.
            var profiles = app.Services.GetRequiredService<CityBrain.Data.Query.GovernedQuery>();
            var caller = new Caller("profile-load", HubRoles.System, "dsj", "profile-load", null);
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            for (var i = 0; i < lookups; i++)
            {
                var clock = Stopwatch.StartNew();
                var profile = await profiles.ProfileAsync("person", subjects[i % subjects.Count], caller, Purpose, cancellationToken);
                latencies[i] = profile.Sections.Count > 0 ? clock.Elapsed.TotalMilliseconds : throw new InvalidOperationException("empty profile in process");
            }
            used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            Array.Sort(latencies);
            Console.WriteLine($"in process: p50 {Rank(latencies, 0.50):F2} ms, p90 {Rank(latencies, 0.90):F2} ms, p99 {Rank(latencies, 0.99):F2} ms, max {latencies[^1]:F2} ms; "
                + $"{used.TotalMilliseconds * 1000 / lookups:N0} µs processor per lookup; load average {LoadAverage()}");
            await app.StopAsync(cancellationToken);
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS's temp cleaner.
            }
        }
    }

    private static double Rank(double[] sorted, double quantile) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)];

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>One profile over HTTP; the number of datasets it showed (an empty profile would measure nothing).</summary>
    private static async Task<int> LookupAsync(HttpClient consumer, string residentId, CancellationToken cancellationToken)
    {
        var body = await consumer.GetFromJsonAsync<JsonObject>($"/api/data/profiles/person/{residentId}", cancellationToken)
            ?? throw new InvalidOperationException("empty answer");
        var count = body["sections"]!.AsArray().Count;
        return count > 0 ? count : throw new InvalidOperationException($"no section in the profile: {body.ToJsonString()}");
    }

    /// <summary>Residents with records in the most datasets first, so each lookup joins several departments.</summary>
    private static async Task<List<string>> SubjectsAsync(IServiceProvider services, int count, CancellationToken cancellationToken)
    {
        var lake = services.GetRequiredService<CityBrain.Data.Lake.Lake>();
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT subject FROM profile_index WHERE kind = 'person' GROUP BY subject ORDER BY count(DISTINCT dataset) DESC, subject LIMIT $1";
        var parameter = command.CreateParameter();
        parameter.Value = count;
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var subjects = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var subject = reader.GetString(0);
            if (CityBrain.Kernel.Identifiers.ResidentId.IsValid(subject))
            {
                subjects.Add(subject);
            }
        }
        return subjects;
    }

    /// <summary>A consumer system granted every dataset the lake holds, personal fields masked, each decided by the owning unit.</summary>
    private static async Task<HttpClient> ConsumerGrantedEverythingAsync(IServiceProvider services, Uri baseAddress, CancellationToken cancellationToken)
    {
        const string system = "profile-load";
        var registry = services.GetRequiredService<IRegistryReader>();
        await services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest
        {
            Systems = [new SystemSpec { Code = system, Unit = "dsj", Name = "一人一档 load run", BaseUrl = "http://127.0.0.1:9" }],
        }, new Caller("admin", HubRoles.Admin, "dsj", null, null), cancellationToken);
        var tokens = services.GetRequiredService<TokenService>();
        HttpClient As(Caller caller)
        {
            var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Issue(caller, TimeSpan.FromHours(2)));
            return client;
        }
        using var dsj = As(new Caller("operator@dsj", HubRoles.UnitOperator, "dsj", null, null));
        foreach (var code in services.GetRequiredService<CityBrain.Data.Ingestion.HubIngestion>().Mappings.Select(m => m.Dataset))
        {
            var fields = (await registry.FindDatasetAsync(code, cancellationToken))!.Fields;
            var clear = fields.Where(f => f.Level is FieldLevel.Public or FieldLevel.Internal).Select(f => f.Name).ToArray();
            var masked = fields.Where(f => f.Level is FieldLevel.Personal or FieldLevel.SensitivePersonal).Select(f => f.Name).ToArray();
            using var filed = await dsj.PostAsJsonAsync("/api/hub/requests", new
            {
                consumer = system, resource = "dataset:" + code, fields = clear.Concat(masked).ToArray(), purpose = Purpose, legalBasis = "《浙江省公共数据条例》", days = 30,
            }, cancellationToken);
            var request = (await filed.Content.ReadFromJsonAsync<JsonObject>(cancellationToken))!;
            if (!filed.IsSuccessStatusCode)
            {
                throw new InvalidOperationException(request.ToJsonString());
            }
            if ((string)request["status"]! == "granted")
            {
                continue;
            }
            var owner = code.Split('.')[0];
            using var unit = As(new Caller($"operator@{owner}", HubRoles.UnitOperator, owner, null, null));
            using var decided = await unit.PostAsJsonAsync($"/api/hub/requests/{request["id"]}/decision", new { approve = true, fields = clear, maskedFields = masked, days = 30, reason = "load run" }, cancellationToken);
            decided.EnsureSuccessStatusCode();
        }
        var consumer = As(new Caller(system, HubRoles.System, "dsj", system, null));
        consumer.DefaultRequestHeaders.Add("X-Purpose", Purpose);
        return consumer;
    }
}
