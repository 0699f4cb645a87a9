using CityBrain.Hub;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using CityBrain.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CityBrain.Cockpit.Tests;

/// <summary>The hub and the cockpit's task services as the host composes them, on a fresh store of one kind, with a clock the test moves.</summary>
public sealed class CockpitServices : IAsyncDisposable
{
    public static readonly Caller Admin = new("admin", HubRoles.Admin, "dsj", null, null);
    public static readonly Caller Leader = new("leader", HubRoles.Leader, null, null, null);
    public static readonly Caller Police = new("operator@gaj", HubRoles.UnitOperator, "gaj", null, null);
    public static readonly Caller CivilAffairs = new("operator@mzj", HubRoles.UnitOperator, "mzj", null, null);
    public static readonly Caller Citizen = new("citizen", HubRoles.Citizen, null, null, "33010619900101123X");

    private readonly TestStore _store;
    private readonly ServiceProvider _provider;

    private CockpitServices(TestStore store, ServiceProvider provider, FakeTimeProvider time, string attachments)
    {
        _store = store;
        _provider = provider;
        Time = time;
        AttachmentDirectory = attachments;
    }

    public FakeTimeProvider Time { get; }

    public string AttachmentDirectory { get; }

    public IOperationalStore Store => _store.Store;

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    /// <param name="settings">Configuration besides the attachment folder, e.g. Cockpit:Tasks:LifecycleRulesFile.</param>
    public static async Task<CockpitServices> CreateAsync(string kind, Action<IServiceCollection>? configure = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var store = await TestStores.CreateAsync(kind);
        // A Tuesday morning in Hangzhou, so that working-day deadlines are predictable.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.FromHours(8)));
        var attachments = Path.Combine(Path.GetTempPath(), "citybrain-attachments-" + Guid.NewGuid().ToString("N")[..10]);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Cockpit:Tasks:AttachmentDirectory"] = attachments })
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>()).Build());
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(store.Store);
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(sp => HubKeyring.LoadOrCreateAsync(sp.GetRequiredService<IOperationalStore>(), CancellationToken.None).GetAwaiter().GetResult());
        services.AddMetrics();
        services.AddHub();
        services.AddCockpitTasks();
        configure?.Invoke(services);
        var provider = services.BuildServiceProvider();
        await MigrationRunner.ApplyAsync(store.Store, provider.GetServices<IMigrationSet>(), time, CancellationToken.None);
        var cockpit = new CockpitServices(store, provider, time, attachments);
        await cockpit.RegisterCityAsync();
        return cockpit;
    }

    /// <summary>The data bureau; the police under it; civil affairs with no parent; a district office (西湖区) under the police.</summary>
    private async Task RegisterCityAsync()
    {
        var manifest = RegistryFile.Parse("""
            units:
              - { code: dsj, name: 杭州市数据资源管理局, divisionCode: "330100" }
              - { code: gaj, name: 杭州市公安局, divisionCode: "330100", parent: dsj }
              - { code: mzj, name: 杭州市民政局, divisionCode: "330100" }
              - { code: xh-gaj, name: 西湖区公安分局, divisionCode: "330106", parent: gaj }
            """, yaml: true);
        await Get<IRegistryAdmin>().ApplyAsync(manifest, Admin, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(AttachmentDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
