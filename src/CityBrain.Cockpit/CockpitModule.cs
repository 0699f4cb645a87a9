using CityBrain.Cockpit.Indicators;
using CityBrain.Cockpit.Live;
using CityBrain.Cockpit.Web;
using CityBrain.Cockpit.Web.Account;
using CityBrain.Kernel.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using MudBlazor.Services;

namespace CityBrain.Cockpit;

/// <summary>
/// The cockpit's one registration point: the web UI (department console 政府端 and citizen portal 社会端), indicators,
/// warnings and their live feed. The host calls AddCockpit after AddHub, and MapCockpit after MapHub.
/// </summary>
public static class CockpitModule
{
    /// <summary>
    /// Registers the cockpit. The host may register <see cref="ILiveMetricSource"/>s (its live figures) and an
    /// <see cref="ILakeQuery"/> (the data lake); indicators on sources that are absent show "source not available". The
    /// host's <see cref="ILiveMapLayerSource"/>s put live points on the city map.
    /// </summary>
    public static IServiceCollection AddCockpit(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IMigrationSet, CockpitMigrations>();
        services.AddCockpitAuthentication();
        services.AddSingleton<StaffAccounts>();
        services.AddSingleton<OneTimeCodes>();

        services.AddSingleton<IndicatorCatalog>();
        services.AddSingleton<IndicatorHistory>();
        services.AddOptions<IndicatorOptions>().BindConfiguration(IndicatorOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<IndicatorHistoryRetention>();
        services.AddSingleton(sp => new IndicatorReader(
            sp.GetRequiredService<IOperationalStore>(), sp.GetRequiredService<Hub.Sharing.IHubMetrics>(),
            sp.GetServices<ILiveMetricSource>(), sp.GetService<ILakeQuery>()));
        services.AddSingleton<CockpitFeed>();
        services.AddSingleton<TaskFeed>();
        services.AddSingleton<Tasks.ITaskEvents>(sp => sp.GetRequiredService<TaskFeed>());
        services.AddSingleton<IndicatorRefresher>();
        services.AddSingleton<Supervision.ILeaderboardMetricProvider, IndicatorLeaderboards>();
        services.AddHostedService(sp => sp.GetRequiredService<IndicatorRefresher>());
        services.AddSingleton<LiveMapLayers>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveMapLayers>());

        services.AddSignalR();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddMudServices();
        return services;
    }

    /// <summary>Adds a scenario's pages to the cockpit's router and menu (staff roles only see the menu group).</summary>
    public static IServiceCollection AddCockpitPages(this IServiceCollection services, CockpitPages pages)
    {
        ArgumentNullException.ThrowIfNull(pages);
        services.AddSingleton(pages);
        return services;
    }

    /// <summary>Maps the pages (/ is the city cockpit), the login forms, /api/cockpit and the live hub /hubs/cockpit.</summary>
    public static WebApplication MapCockpit(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapAccountApi();
        app.MapIndicatorsApi();
        app.MapGet("/api/cockpit/geo/districts", DistrictMap.GeoJson).WithTags("Cockpit").RequireAuthorization()
            .WithSummary("Hangzhou's districts after the 2021 re-division (GeoJSON; see docs/cockpit.md for the approximations)");
        app.MapHub<CockpitHub>(CockpitHub.Path);
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode()
            .AddAdditionalAssemblies([.. app.Services.GetServices<CockpitPages>().Select(p => p.Assembly).Distinct()]);
        return app;
    }

    /// <summary>Seeds the demo staff accounts; run once the store has its schema.</summary>
    public static Task PrepareCockpitAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<StaffAccounts>().EnsureDemoAccountsAsync(cancellationToken);
}
