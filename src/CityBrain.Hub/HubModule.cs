using CityBrain.Hub.Audit;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Storage;
using Dapper;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityBrain.Hub;

/// <summary>The hub's one registration point: the host calls AddHub and MapHub, nothing else.</summary>
public static class HubModule
{
    /// <summary>
    /// Registers the hub. The host registers the <see cref="IOperationalStore"/>, the loaded <see cref="HubKeyring"/>
    /// and a <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddHub(this IServiceCollection services)
    {
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<IMigrationSet, KeyMigrations>();
        services.AddHubAuthentication();

        services.AddSingleton<IMigrationSet, AuditMigrations>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<IAuditLog>(sp => sp.GetRequiredService<AuditLog>());
        services.AddHostedService(sp => sp.GetRequiredService<AuditLog>());

        services.AddSingleton<IMigrationSet, RegistryMigrations>();
        services.AddSingleton<RegistryStore>();
        services.AddSingleton<IRegistryReader>(sp => sp.GetRequiredService<RegistryStore>());
        services.AddSingleton<RegistryService>();
        services.AddSingleton<IRegistryAdmin>(sp => sp.GetRequiredService<RegistryService>());

        services.AddSingleton<IMigrationSet, SharingMigrations>();
        services.AddOptions<SharingOptions>().BindConfiguration(SharingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SharingStore>();
        services.AddSingleton<IGrantLookup>(sp => sp.GetRequiredService<SharingStore>());
        services.AddSingleton<SharingService>();
        services.AddHostedService<EscalationService>();
        services.AddSingleton<IHubMetrics, SharingMetrics>();

        services.AddHubGateway();
        return services;
    }

    public static IEndpointRouteBuilder MapHub(this IEndpointRouteBuilder routes)
    {
        routes.MapAuthApi();
        routes.MapRegistryApi();
        routes.MapSharingApi();
        SharingMetrics.MapMetricsApi(routes);
        routes.MapAuditApi();
        routes.MapHubGateway();
        return routes;
    }
}
