using CityBrain.Hub.Registry;
using CityBrain.SyntheticCity.Departments.Gaj;
using CityBrain.SyntheticCity.Departments.Hosting;
using CityBrain.SyntheticCity.Departments.Jtj;
using CityBrain.SyntheticCity.Departments.Mzj;
using CityBrain.SyntheticCity.Departments.Rsj;
using CityBrain.SyntheticCity.Departments.Scjgj;
using CityBrain.SyntheticCity.Departments.Swj;
using CityBrain.SyntheticCity.Departments.Wjw;
using CityBrain.SyntheticCity.Departments.Ybj;
using Microsoft.AspNetCore.Builder;

namespace CityBrain.SyntheticCity.Departments;

/// <summary>
/// The demo city's department systems (部门平台), each a real HTTP service on a loopback port of its own with its own
/// SQLite database loaded from the generated city's <c>departments/&lt;code&gt;/*.csv</c>. The host starts them with
/// <see cref="StartAsync"/> and applies <see cref="RegistryYaml"/> to the hub; consumers reach them only through the hub.
/// </summary>
public sealed class DepartmentCluster : IAsyncDisposable
{
    private readonly List<WebApplication> _apps;

    private DepartmentCluster(List<WebApplication> apps, IReadOnlyDictionary<string, Uri> baseUrls, RegistryManifest registry, string registryYaml, string registryPath)
    {
        _apps = apps;
        BaseUrls = baseUrls;
        Registry = registry;
        RegistryYaml = registryYaml;
        RegistryPath = registryPath;
    }

    /// <summary>Department code (gaj, mzj, rsj, scjgj, swj, wjw, ybj, jtj) → the base URL its system answers on.</summary>
    public IReadOnlyDictionary<string, Uri> BaseUrls { get; }

    /// <summary>Units, systems (with base URLs and credentials), interfaces and datasets of the running departments, for the hub.</summary>
    public RegistryManifest Registry { get; }

    /// <summary><see cref="Registry"/> as the hub's registry YAML (POST /api/hub/registry, application/yaml).</summary>
    public string RegistryYaml { get; }

    /// <summary>Where <see cref="RegistryYaml"/> was written: <c>&lt;data&gt;/departments/registry.yaml</c>.</summary>
    public string RegistryPath { get; }

    /// <summary>The department codes, in the order the cluster starts them.</summary>
    public static IReadOnlyList<string> Codes => [.. All().Select(d => d.Code)];

    /// <summary>
    /// Starts all eight department systems. Each loads its database on first start (<c>&lt;data&gt;/departments/&lt;code&gt;.db</c>,
    /// atomically) and reuses it afterwards; credentials are made once and kept in <c>&lt;data&gt;/departments/credentials.json</c>.
    /// </summary>
    /// <param name="cityDirectory">The generated city folder (the one holding <c>departments/</c>); see docs/synthetic-city.md.</param>
    /// <param name="dataDirectory">The CityBrain data folder.</param>
    /// <param name="progress">Told of each file loaded (first start only) and each system started.</param>
    /// <param name="cancellationToken">Cancels loading and starting.</param>
    public static async Task<DepartmentCluster> StartAsync(string cityDirectory, string dataDirectory, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var departments = All();
        var folder = Path.Combine(dataDirectory, "departments");
        Directory.CreateDirectory(folder);
        var credentials = await CredentialFile.LoadOrCreateAsync(Path.Combine(folder, "credentials.json"), departments, cancellationToken);

        var apps = new List<WebApplication>();
        try
        {
            var started = await Task.WhenAll(departments.Select(async department =>
            {
                var database = await DepartmentDatabase.OpenOrLoadAsync(Path.Combine(cityDirectory, "departments", department.Code),
                    Path.Combine(folder, department.Code + ".db"), department.Tables, progress, cancellationToken);
                var (app, baseUrl) = await DepartmentServer.StartAsync(department, database, credentials[department.Code], cancellationToken);
                lock (apps)
                {
                    apps.Add(app);
                }
                progress?.Report($"{department.Code}: {department.UnitName} {department.SystemName} answers on {baseUrl}");
                return (Department: department, BaseUrl: baseUrl, Credential: credentials[department.Code]);
            }));

            var registry = RegistryWriter.Build(started);
            var yaml = RegistryWriter.ToYaml(registry);
            var registryPath = Path.Combine(folder, "registry.yaml");
            await File.WriteAllTextAsync(registryPath + ".tmp", yaml, cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(registryPath + ".tmp", UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            File.Move(registryPath + ".tmp", registryPath, overwrite: true);
            return new DepartmentCluster(apps, started.ToDictionary(s => s.Department.Code, s => s.BaseUrl, StringComparer.Ordinal), registry, yaml, registryPath);
        }
        catch
        {
            await StopAllAsync(apps);
            throw;
        }
    }

    /// <inheritdoc cref="StartAsync(string, string, IProgress{string}?, CancellationToken)"/>
    public static Task<DepartmentCluster> StartAsync(string cityDirectory, string dataDirectory, CancellationToken cancellationToken) =>
        StartAsync(cityDirectory, dataDirectory, null, cancellationToken);

    private static List<Department> All() =>
    [
        new PublicSecurityBureau(),
        new CivilAffairsBureau(),
        new HumanResourcesBureau(),
        new MarketSupervisionBureau(),
        new TaxBureau(),
        new HealthCommission(),
        new MedicalInsuranceBureau(),
        new TransportBureau(),
    ];

    public async ValueTask DisposeAsync() => await StopAllAsync(_apps);

    private static async Task StopAllAsync(List<WebApplication> apps)
    {
        foreach (var app in apps)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
        apps.Clear();
    }
}
