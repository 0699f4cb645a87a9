using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Hub;

/// <summary>The hub's one registration point: the host calls AddHub and MapHub, nothing else.</summary>
public static class HubModule
{
    /// <summary>Registers the hub. The host registers the <see cref="IOperationalStore"/>, the loaded <see cref="HubKeyring"/> and a TimeProvider.</summary>
    public static IServiceCollection AddHub(this IServiceCollection services)
    {
        services.AddSingleton<IMigrationSet, KeyMigrations>();
        services.AddHubAuthentication();
        return services;
    }

    public static IEndpointRouteBuilder MapHub(this IEndpointRouteBuilder routes)
    {
        return routes;
    }
}
