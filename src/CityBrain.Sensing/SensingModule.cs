using CityBrain.Sensing.Api;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Geo;
using CityBrain.Sensing.Ingest;
using CityBrain.Sensing.Ld;
using CityBrain.Sensing.Metrics;
using CityBrain.Sensing.Subscriptions;
using CityBrain.Sensing.Temporal;
using CityBrain.Kernel.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CityBrain.Sensing;

/// <summary>The sensing module's one registration point: the NGSI-LD context broker under /ngsi-ld/v1.</summary>
public static class SensingModule
{
    public const string Prefix = "/ngsi-ld/v1";

    /// <summary>Registers the broker. The host registers the <see cref="IOperationalStore"/> and a <see cref="TimeProvider"/>.</summary>
    public static IServiceCollection AddSensing(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<SensingOptions>().BindConfiguration(SensingOptions.Section);
        services.AddHttpClient(ContextResolver.HttpClientName);
        services.AddSingleton<ContextResolver>();
        services.AddSingleton<IMigrationSet, EntityMigrations>();
        services.AddSingleton<PostGisGeoIndex>();
        services.AddSingleton<IEntityChangeListener>(sp => sp.GetRequiredService<PostGisGeoIndex>());
        services.AddSingleton<EntityRepository>();
        services.AddSingleton<EntityService>();

        services.AddSingleton<IMigrationSet, SubscriptionMigrations>();
        services.AddSingleton<SubscriptionStore>();
        services.AddHttpClient(HttpNotificationChannel.HttpClientName);
        services.AddSingleton<INotificationChannel, HttpNotificationChannel>();
        services.AddSingleton<Notifier>();
        services.AddSingleton<IEntityChangeListener>(sp => sp.GetRequiredService<Notifier>());
        services.AddHostedService(sp => sp.GetRequiredService<Notifier>());

        services.AddSingleton<IMigrationSet, HistoryMigrations>();
        services.AddSingleton<IEntityChangeListener, HistoryRecorder>();

        services.AddSingleton<IEntityMetrics, EntityMetrics>();
        services.AddSingleton<IEntityPoints, EntityPoints>();

        services.AddSingleton<INotificationChannel, MqttNotificationChannel>();
        services.AddSingleton<IMigrationSet, IngestMigrations>();
        services.AddSingleton<DeviceRegistry>();
        services.AddSingleton<IDeviceRegistry>(sp => sp.GetRequiredService<DeviceRegistry>());
        services.AddHostedService<EmbeddedMqttBroker>();
        services.AddSingleton<MqttIngest>();
        services.AddHostedService(sp => sp.GetRequiredService<MqttIngest>());
        return services;
    }

    /// <summary>
    /// Maps the NGSI-LD API and the device registry (/api/sensing); bearer tokens required unless
    /// <see cref="SensingOptions.Open"/>. Answers the NGSI-LD group.
    /// </summary>
    public static RouteGroupBuilder MapSensing(this IEndpointRouteBuilder routes)
    {
        var open = routes.ServiceProvider.GetRequiredService<IOptions<SensingOptions>>().Value.Open;
        var group = routes.MapGroup(Prefix).WithTags("NGSI-LD").AddEndpointFilter(TranslateErrors);
        var devices = routes.MapGroup("/api/sensing").WithTags("Sensing").AddEndpointFilter(TranslateErrors);
        if (!open)
        {
            group.RequireAuthorization();
            devices.RequireAuthorization();
        }
        DevicesApi.Map(devices);
        EntitiesApi.Map(group);
        SubscriptionsApi.Map(group);
        TemporalApi.Map(group);
        return group;
    }

    /// <summary>NGSI-LD failures answer with the spec's error type; anything else goes to the host's one exception handler.</summary>
    private static async ValueTask<object?> TranslateErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (NgsiLdException e)
        {
            return NgsiLdHttp.Problem(e, context.HttpContext);
        }
    }
}
