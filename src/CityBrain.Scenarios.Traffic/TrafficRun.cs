using System.Diagnostics;
using CityBrain.Scenarios.Traffic.Control;
using CityBrain.Scenarios.Traffic.Network;
using CityBrain.Scenarios.Traffic.Simulation;

namespace CityBrain.Scenarios.Traffic;

/// <summary>Runs one simulation under one signal controller and reports the figures of REFERENCE.md.</summary>
public static class TrafficRun
{
    /// <summary>The controller names the CLI and the API accept.</summary>
    public static IReadOnlyList<string> Controllers { get; } = ["plan", "fixed", "sotl", "maxpressure", "best"];

    public static TrafficRunResult Run(RoadNetwork network, Demand demand, string controller, int steps = 3600, int seed = 0, int threads = 1,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(demand);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        var control = CreateController(controller);
        var simulator = new Simulator(network, demand, steps, seed, threads);
        var started = Stopwatch.GetTimestamp();
        for (var step = 0; step < steps; step++)
        {
            if ((step & 63) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            control.Act(simulator);
            simulator.Step();
        }
        return ResultOf(controller, simulator.Metrics(), Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    internal static TrafficRunResult ResultOf(string controller, SimulationMetrics metrics, double wallSeconds) =>
        new(controller, metrics.Steps, metrics.Released, metrics.EngineTravelTime, metrics.PaperTravelTime, metrics.Finished, metrics.AverageQueue,
            metrics.AverageDelay, metrics.CongestionIndex, wallSeconds);

    /// <summary>Every controller in turn on the same hour and seed: the rows of the results table (docs/traffic.md, the cockpit).</summary>
    public static IReadOnlyList<TrafficRunResult> RunEveryController(RoadNetwork network, Demand demand, int steps = 3600, int seed = 0,
        CancellationToken cancellationToken = default) =>
        [.. Controllers.Select(controller => Run(network, demand, controller, steps, seed, 1, cancellationToken))];

    internal static ISignalController CreateController(string controller) => controller switch
    {
        "plan" => new PlanController(),
        "fixed" => new FixedTimeController(),
        "sotl" => new SotlController(),
        "maxpressure" => new MaxPressureController(),
        "best" => new AdaptiveController(),
        _ => throw new ArgumentException($"unknown controller '{controller}'; use one of {string.Join(", ", Controllers)}", nameof(controller)),
    };
}

/// <summary>
/// One run's figures. AverageTravelTime is CityFlow's engine ATT, PaperTravelTime the papers' (REFERENCE.md); Throughput the
/// vehicles that completed their route; AverageQueue the vehicles waiting per entering lane, averaged over the steps;
/// AverageDelay the completed vehicles' travel time beyond free flow; CongestionIndex their travel time over their free-flow
/// time (the travel-time index that Chinese cities publish as 拥堵延时指数: 1 is free flow); WallSeconds the simulation alone.
/// </summary>
public sealed record TrafficRunResult(
    string Controller, int Steps, int Vehicles, double AverageTravelTime, double PaperTravelTime, int Throughput, double AverageQueue,
    double AverageDelay, double CongestionIndex, double WallSeconds);
