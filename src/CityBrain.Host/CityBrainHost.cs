using System.Text.Json.Serialization;
using CityBrain.Cockpit;
using CityBrain.Cockpit.Web;
using CityBrain.Data;
using CityBrain.Data.Quality;
using CityBrain.Hub;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy;
using CityBrain.Scenarios.Traffic.Web;
using CityBrain.Sensing;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Scalar.AspNetCore;

namespace CityBrain.Host;

/// <summary>The composition root: each module's AddX and MapX, the store, the web pipeline. Used by the verbs and by end-to-end tests.</summary>
public static class CityBrainHost
{
    /// <summary>Largest request body accepted (a registry file of a whole city's interfaces fits).</summary>
    public const long MaxRequestBodyBytes = 32 * 1024 * 1024;

    public static WebApplication Create(HostSettings settings, Action<WebApplicationBuilder>? configure = null)
    {
        Directory.CreateDirectory(settings.DataDirectory);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(CityBrainHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls(settings.Urls);
        // The cockpit's pages need their static files (its own, MudBlazor's, Blazor's) in every environment, not only Development.
        builder.WebHost.UseStaticWebAssets();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            kestrel.AddServerHeader = false;
        });

        // Request paths can carry resident IDs (/hub/call/.../330106...): the framework's per-request logs stay off.
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);

        var store = OperationalStoreFactory.Create(settings.EffectiveStore, settings.DataDirectory);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(sp => HubKeyring.LoadOrCreateAsync(sp.GetRequiredService<IOperationalStore>(), CancellationToken.None).GetAwaiter().GetResult());

        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            context.ProblemDetails.Instance ??= context.HttpContext.Request.Path);
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // Unreadable bodies reach the one exception handler, which says what was wrong (the default answers a bare 400).
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.ConfigureHttpJsonOptions(options =>
        {
            // A misspelt field is an error, not a silently ignored one.
            options.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
        });
        builder.Services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "CityBrain API";
            document.Info.Description = "The hub (中枢) of a city's departments: registry, sharing on demand, gateway, audit.";
            return Task.CompletedTask;
        }));
        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("store");

        builder.Services.AddHub();
        builder.Services.AddCockpitTasks();
        builder.Configuration["Cockpit:Tasks:AttachmentDirectory"] ??= Path.Combine(Path.GetFullPath(settings.DataDirectory), "attachments");
        builder.Services.AddData(settings.DataDirectory);
        builder.Services.AddQuality();
        builder.Services.AddCockpit();
        builder.Services.AddPolicy(Demo.DemoCity.CityDirectory(settings.DataDirectory), settings.DataDirectory);
        builder.Services.AddCockpitPages(new CockpitPages(typeof(PolicyModule).Assembly, "政策直达 Policy", [],
            [.. PolicyModule.CitizenPageLinks.Select(link => new CockpitLink(link.Href, link.Title))],
            [.. PolicyModule.EnterprisePageLinks.Select(link => new CockpitLink(link.Href, link.Title))]));
        builder.Services.AddSingleton<CityBrain.Cockpit.Indicators.ILiveMetricSource, PolicyMetrics>();
        builder.Services.AddSensing();
        builder.Services.AddSingleton<CityBrain.Cockpit.Indicators.ILiveMetricSource, SensingMetricSource>();
        builder.Services.AddSingleton<CityBrain.Cockpit.Live.ILiveMapLayerSource, SensingMapLayer>();
        builder.Services.AddTraffic();
        // The simulator's road detectors publish over MQTT to sensing's ingest, like any device (TrafficDetectorPublisher).
        builder.Services.AddOptions<TrafficDetectorPublishingOptions>().BindConfiguration(TrafficDetectorPublishingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<TrafficDetectorPublisher>();
        builder.Services.AddSingleton<CityBrain.Scenarios.Traffic.Web.Detectors.ITrafficDetectorSink>(sp => sp.GetRequiredService<TrafficDetectorPublisher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<TrafficDetectorPublisher>());
        builder.Services.AddCockpitPages(new CockpitPages(typeof(TrafficModule).Assembly, "交通 Traffic",
            [.. TrafficModule.PageLinks.Select(link => new CockpitLink(link.Href, link.Title))]));
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthChecks("/health", new HealthCheckOptions { ResponseWriter = WriteHealth });
        app.MapOpenApi();
        app.MapScalarApiReference("/api-reference", options => options.WithTitle("CityBrain API"));
        app.MapHub();
        app.MapCockpitTasks();
        app.MapData();
        app.MapQuality();
        app.MapCockpit();
        app.MapPolicy();
        app.MapSensing();
        app.MapTraffic();
        return app;
    }

    /// <summary>Brings the store to the current schema and loads the hub's keys; the node is ready after this.</summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var store = app.Services.GetRequiredService<IOperationalStore>();
        await MigrationRunner.ApplyAsync(store, app.Services.GetServices<IMigrationSet>(), app.Services.GetRequiredService<TimeProvider>(), cancellationToken);
        app.Services.GetRequiredService<HubKeyring>();
        await DemoSeed.EnsureAsync(app.Services, cancellationToken);
        await app.Services.PrepareCockpitAsync(cancellationToken);
        await PlatformScenarios.EnsureAsync(app.Services, cancellationToken);
    }

    private static Task WriteHealth(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsJsonAsync(new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), e.Value.Description }),
        });
    }

    private sealed class StoreHealthCheck(IOperationalStore store) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                await using var connection = await store.OpenConnectionAsync(cancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT COUNT(*) FROM schema_migrations";
                await command.ExecuteScalarAsync(cancellationToken);
                return HealthCheckResult.Healthy(store.Description);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"{store.Description}: {e.Message}");
            }
        }
    }
}
