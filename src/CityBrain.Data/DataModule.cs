using CityBrain.Data.Catalog;
using CityBrain.Data.Ingestion;
using CityBrain.Data.Query;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityBrain.Data;

/// <summary>The data module's one registration point: the host calls AddData and MapData.</summary>
public static class DataModule
{
    /// <summary>Registers the lake (DATA/lake/lake.duckdb), ingestion, catalog, governed queries (row by row and whole-dataset extracts for bulk work) and profiles. Needs the hub registered.</summary>
    public static IServiceCollection AddData(this IServiceCollection services, string dataDirectory)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(_ => new Lake.Lake(Path.Combine(dataDirectory, "lake")));
        services.AddOptions<DataOptions>().BindConfiguration(DataOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<HubIngestion>();
        services.AddHostedService<IngestionScheduler>();
        services.AddSingleton<FileIngestion>();
        services.AddSingleton<DataCatalog>();
        services.AddSingleton<ProfileIndex>();
        services.AddSingleton<GovernedQuery>();
        services.AddSingleton<GovernedExtracts>();
        services.AddSingleton<Hub.Sharing.IDatasetExtracts>(sp => sp.GetRequiredService<GovernedExtracts>());
        return services;
    }

    /// <summary>Maps /api/data/...; returns the group so the host can add policies in one place.</summary>
    public static RouteGroupBuilder MapData(this IEndpointRouteBuilder routes) => routes.MapDataApi();
}
