using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace CityBrain.Hub.Tests;

/// <summary>The hub's services as the host composes them, on a fresh store of one kind, with a clock the test moves.</summary>
public sealed class HubServices : IAsyncDisposable
{
    public static readonly Caller Admin = new("admin", HubRoles.Admin, "dsj", null, null);

    private readonly TestStore _store;
    private readonly ServiceProvider _provider;

    private HubServices(TestStore store, ServiceProvider provider, FakeTimeProvider time)
    {
        _store = store;
        _provider = provider;
        Time = time;
    }

    public FakeTimeProvider Time { get; }

    public IOperationalStore Store => _store.Store;

    public string Kind => _store.Kind;

    public T Get<T>() where T : notnull => _provider.GetRequiredService<T>();

    public static async Task<HubServices> CreateAsync(string kind)
    {
        var store = await TestStores.CreateAsync(kind);
        // A Tuesday morning in Hangzhou, so that working-day deadlines are predictable.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.FromHours(8)));
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Configuration.IConfiguration>(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton(store.Store);
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton(sp => HubKeyring.LoadOrCreateAsync(sp.GetRequiredService<IOperationalStore>(), CancellationToken.None).GetAwaiter().GetResult());
        services.AddMetrics();
        services.AddHub();
        var provider = services.BuildServiceProvider();
        await MigrationRunner.ApplyAsync(store.Store, provider.GetServices<IMigrationSet>(), provider.GetRequiredService<TimeProvider>(), CancellationToken.None);
        return new HubServices(store, provider, time);
    }

    /// <summary>Two units (the owner gaj and the consumer mzj), a provider system with one interface, a consumer system.</summary>
    public async Task<RegistryChangeResult> RegisterCityAsync(string sharing = "conditional")
    {
        var manifest = RegistryFile.Parse($$"""
            units:
              - { code: dsj, name: 杭州市数据资源管理局, divisionCode: "330100" }
              - { code: gaj, name: 杭州市公安局, divisionCode: "330100", parent: dsj }
              - { code: mzj, name: 杭州市民政局, divisionCode: "330100" }
            systems:
              - code: police-pop
                unit: gaj
                name: 人口信息系统
                baseUrl: http://127.0.0.1:9
                interfaces:
                  - code: person
                    name: 人口基本信息查询
                    method: GET
                    path: /persons/{sfzh}
                    sharing: {{sharing}}
                    parameters: [ { name: sfzh, in: path, required: true, format: resident-id } ]
                    fields:
                      - { name: XM, level: personal, mask: name }
                      - { name: SFZH, level: sensitive-personal, mask: resident-id }
                      - { name: XB, level: internal }
                      - { name: SJHM, level: personal, mask: phone }
              - { code: mz-dibao, unit: mzj, name: 低保系统, baseUrl: "http://127.0.0.1:9" }
            """, yaml: true);
        return await Get<IRegistryAdmin>().ApplyAsync(manifest, Admin, CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _store.DisposeAsync();
    }
}
