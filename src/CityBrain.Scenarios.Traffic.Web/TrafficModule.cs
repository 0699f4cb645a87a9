using System.ComponentModel.DataAnnotations;
using System.Globalization;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Messaging;
using CityBrain.Scenarios.Traffic.Live;
using CityBrain.Scenarios.Traffic.Network;
using CityBrain.Scenarios.Traffic.Web.Detectors;
using CityBrain.Scenarios.Traffic.WhatIf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CityBrain.Scenarios.Traffic.Web;

/// <summary>The traffic scenario's one registration point: the host calls AddTraffic and MapTraffic.</summary>
public static class TrafficModule
{
    /// <summary>The scenario's code on the cockpit's evaluation page; each run a person starts reports a use under it.</summary>
    public const string ScenarioCode = "traffic";

    /// <summary>Registers the datasets (Traffic:DatasetsPath, default ../shared/datasets/traffic), read once on first use.</summary>
    public static IServiceCollection AddTraffic(this IServiceCollection services)
    {
        services.AddOptions<TrafficOptions>().BindConfiguration(TrafficOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<TrafficDatasets>();
        services.AddSingleton<ControllerResults>();
        services.AddEventBus(); // each run a person starts is published as ScenarioUsed
        services.AddSingleton<TrafficUsage>();
        // Runs publish their road detectors through the host's sink (MQTT); without one, nowhere.
        services.TryAddSingleton<ITrafficDetectorSink, NoTrafficDetectorSink>();
        services.AddSingleton<DetectorFeeds>();
        return services;
    }

    /// <summary>The cockpit pages (live view, controllers' results, what-if) and their menu links, for the host to hand to the cockpit.</summary>
    public static IReadOnlyList<(string Href, string Title)> PageLinks { get; } =
    [
        ("/traffic/live", "交通实况 Live view"),
        ("/traffic/controllers", "信号控制对比 Controllers"),
        ("/traffic/what-if", "错峰限行推演 What-if"),
    ];

    /// <summary>Maps /api/traffic/...; returns the group so the host can add policies in one place.</summary>
    public static RouteGroupBuilder MapTraffic(this IEndpointRouteBuilder routes)
    {
        var traffic = routes.MapGroup("/api/traffic").WithTags("Traffic").RequireAuthorization();
        traffic.MapGet("/datasets", Datasets).WithSummary("The CityFlow datasets, with CityFlow's and the best published figures");
        traffic.MapPost("/runs", Run).WithSummary("Simulate a dataset's hour under a signal controller");
        traffic.MapPost("/what-if", WhatIf).WithSummary("错峰限行: the hour as it is and under a restriction, side by side");
        return traffic;
    }

    private static Ok<IReadOnlyList<TrafficDataset>> Datasets() => TypedResults.Ok(TrafficReference.Datasets);

    private static async Task<Ok<TrafficRunResult>> Run(RunRequest request, HttpContext context, TrafficDatasets datasets, TrafficUsage usage, DetectorFeeds feeds,
        CancellationToken cancellationToken)
    {
        var (network, demand) = datasets.Get(request.Dataset);
        var controller = Controller(request.Controller);
        var steps = Steps(request.Steps);
        var result = request.PublishDetectors == true
            ? feeds.Run(request.Dataset, new TrafficSession(network, demand, controller, steps, request.Seed ?? 0), cancellationToken)
            : TrafficRun.Run(network, demand, controller, steps, request.Seed ?? 0, 1, cancellationToken);
        await usage.ReportAsync(context.User, cancellationToken);
        return TypedResults.Ok(result);
    }

    private static async Task<Ok<WhatIfResult>> WhatIf(WhatIfRequest request, HttpContext context, TrafficDatasets datasets, TrafficUsage usage, CancellationToken cancellationToken)
    {
        var result = RunWhatIf(request, datasets, cancellationToken);
        await usage.ReportAsync(context.User, cancellationToken);
        return TypedResults.Ok(result);
    }

    /// <summary>The what-if as the API and the cockpit's what-if page run it: each bad field a <see cref="ValidationFailedException"/> naming it.</summary>
    internal static WhatIfResult RunWhatIf(WhatIfRequest request, TrafficDatasets datasets, CancellationToken cancellationToken)
    {
        var (network, demand) = datasets.Get(request.Dataset);
        var controller = Controller(request.Controller);
        var steps = Steps(request.Steps);
        var start = request.Start is null ? new TimeOnly(8, 0)
            : TimeOnly.TryParseExact(request.Start, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed) ? parsed
            : throw new ValidationFailedException("start", $"'{request.Start}' is not a time of day as HH:mm");
        var day = request.Day ?? DayOfWeek.Monday;
        var restriction = (request.TailRule ?? "hangzhou") switch
        {
            "hangzhou" => Restriction.HangzhouTailNumbers(day, start),
            "none" => new Restriction { Day = day, ClockStart = start },
            var other => throw new ValidationFailedException("tailRule", $"'{other}' is not a rule: hangzhou or none"),
        };
        restriction = restriction with
        {
            Compliance = Share(request.Compliance ?? 1, "compliance"),
            PeakShiftShare = Share(request.PeakShiftShare ?? 0, "peakShiftShare"),
            ClosedRoads = request.ClosedRoads ?? [],
        };
        try
        {
            return RestrictionWhatIf.Compare(network, demand, restriction, controller, steps, request.Seed ?? 0, cancellationToken);
        }
        catch (TrafficDataException e)
        {
            throw new ValidationFailedException("closedRoads", e.Message);
        }
    }

    private static string Controller(string? name) =>
        name is null ? "best" : TrafficRun.Controllers.Contains(name) ? name
            : throw new ValidationFailedException("controller", $"'{name}' is not a controller: {string.Join(", ", TrafficRun.Controllers)}");

    private static int Steps(int? steps) =>
        steps is null ? 3600 : steps is >= 1 and <= 4 * 3600 ? steps.Value : throw new ValidationFailedException("steps", $"{steps} is not between 1 and 14400");

    private static double Share(double value, string field) =>
        value is >= 0 and <= 1 ? value : throw new ValidationFailedException(field, $"{value} is not a share between 0 and 1");
}

/// <summary>
/// A run of one dataset: controller plan | fixed | sotl | maxpressure | best (default), steps 3600 by default; with
/// <paramref name="PublishDetectors"/> its road detectors publish every simulated minute, as the live view's do.
/// </summary>
public sealed record RunRequest(string Dataset, string? Controller, int? Steps, int? Seed, bool? PublishDetectors = null);

/// <summary>
/// A restriction what-if: the tail-number rule (hangzhou, the default, or none) on a weekday from a clock time (HH:mm),
/// the share of banned drivers who comply, a share of trips moved out of the peak, closed road ids.
/// </summary>
public sealed record WhatIfRequest(
    string Dataset, string? Controller, DayOfWeek? Day, string? Start, string? TailRule, double? Compliance, double? PeakShiftShare,
    string[]? ClosedRoads, int? Steps, int? Seed);

/// <summary>Where the CityFlow datasets are.</summary>
public sealed class TrafficOptions
{
    public const string Section = "Traffic";

    /// <summary>The folder holding hangzhou_4x4/, jinan_3x4/ and REFERENCE.md; default ../shared/datasets/traffic.</summary>
    [Required]
    public string DatasetsPath { get; set; } = "../shared/datasets/traffic";

    /// <summary>Longitude (WGS 84) of the networks' metric origin on the city's map; default 120.1392, 文三路 × 学院路 in Gudang (<see cref="GeoAnchor.Gudang"/>).</summary>
    [Range(-180.0, 180.0)]
    public double AnchorLongitude { get; set; } = GeoAnchor.Gudang.Longitude;

    /// <summary>Latitude (WGS 84) of the networks' metric origin; default 30.2779 (<see cref="GeoAnchor.Gudang"/>).</summary>
    [Range(-90.0, 90.0)]
    public double AnchorLatitude { get; set; } = GeoAnchor.Gudang.Latitude;

    /// <summary>The district (GB/T 2260 code) the detectors report in, for the cockpit's figures by district; default 330106, 西湖区.</summary>
    [Required]
    [RegularExpression("^[0-9]{6}$")]
    public string AnchorDistrict { get; set; } = "330106";
}

/// <summary>The datasets read once each, on first use: a roadnet and its flow take a fraction of a second to read.</summary>
internal sealed class TrafficDatasets(IOptions<TrafficOptions> options)
{
    private readonly Dictionary<string, Lazy<(RoadNetwork, Demand)>> _loaded = TrafficReference.Datasets.ToDictionary(
        d => d.Name,
        d => new Lazy<(RoadNetwork, Demand)>(() =>
        {
            var folder = Path.Combine(Path.GetFullPath(options.Value.DatasetsPath), d.Folder);
            var network = CityFlowReader.ReadRoadNetwork(Path.Combine(folder, d.Roadnet));
            return (network, CityFlowReader.ReadDemand(Path.Combine(folder, d.Flow), network));
        }),
        StringComparer.Ordinal);

    public (RoadNetwork Network, Demand Demand) Get(string? name)
    {
        if (name is null || !_loaded.TryGetValue(name, out var dataset))
        {
            throw new ValidationFailedException("dataset", $"'{name}' is not a dataset: {string.Join(", ", _loaded.Keys)}");
        }
        try
        {
            return dataset.Value;
        }
        catch (TrafficDataException e)
        {
            throw new NotFoundException($"dataset {name} cannot be read: {e.Message}");
        }
    }
}
