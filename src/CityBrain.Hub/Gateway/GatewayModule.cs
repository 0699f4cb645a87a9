using System.Net;
using CityBrain.Kernel.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Hub.Gateway;

/// <summary>One invoker for every provider: pooled connections, no proxy, no cookies, no redirects, the resilience handler on top.</summary>
internal sealed class GatewayInvoker(ProviderResilience resilience) : IDisposable
{
    public HttpMessageInvoker Invoker { get; } = new(new ResilienceHandler(resilience)
    {
        InnerHandler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            EnableMultipleHttp2Connections = true,
        },
    });

    public void Dispose() => Invoker.Dispose();
}

internal static class GatewayModule
{
    public static IServiceCollection AddHubGateway(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton<ProviderResilience>();
        services.AddSingleton<GatewayInvoker>();
        services.AddSingleton<GatewayLookup>();
        services.AddSingleton<DailyQuota>();
        services.AddSingleton<IMigrationSet, CallStatisticsMigrations>();
        services.AddSingleton<CallStatistics>();
        services.AddSingleton<ICallStatistics>(sp => sp.GetRequiredService<CallStatistics>());
        services.AddHostedService(sp => sp.GetRequiredService<CallStatistics>());
        return services;
    }

    public static void MapHubGateway(this IEndpointRouteBuilder routes)
    {
        routes.Map("/hub/call/{system}/{interface}/{**rest}", GatewayEndpoint.HandleAsync)
            .RequireAuthorization()
            .WithTags("Gateway")
            .WithSummary("Call a provider system's interface through the hub (bearer token of a consumer system, X-Purpose header)");
    }
}
