using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Hub;

/// <summary>The hub's one registration point: the host calls AddHub and MapHub, nothing else.</summary>
public static class HubModule
{
    public static IServiceCollection AddHub(this IServiceCollection services)
    {
        services.AddSingleton<IMigrationSet, KeyMigrations>();
        return services;
    }
}
