using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CityBrain.Scenarios.Traffic;
using CityBrain.Scenarios.Traffic.Network;

namespace CityBrain.Host.Cli;

/// <summary>
/// `citybrain traffic run --roadnet FILE --flow FILE --controller NAME [--steps 3600] [--seed S] [--threads N]`: one JSON object.
/// `citybrain traffic bench [--datasets DIR]`: every controller on every dataset beside CityFlow's and the published figures.
/// </summary>
internal static class TrafficCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    public static Command Build()
    {
        var roadnet = new Option<FileInfo>("--roadnet") { Description = "CityFlow roadnet JSON", Required = true };
        var flow = new Option<FileInfo>("--flow") { Description = "CityFlow flow JSON", Required = true };
        var controller = new Option<string>("--controller") { Description = "plan | fixed | sotl | maxpressure | best", DefaultValueFactory = _ => "best" };
        controller.AcceptOnlyFromAmong([.. TrafficRun.Controllers]);
        var steps = new Option<int>("--steps") { Description = "Simulated seconds (one step a second)", DefaultValueFactory = _ => 3600 };
        var seed = new Option<int>("--seed") { Description = "Seed of the run (first-lane choice)", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "Threads for the vehicles' decisions", DefaultValueFactory = _ => 1 };

        var run = new Command("run", "Simulate one dataset under one signal controller; prints {controller, steps, vehicles, averageTravelTime, paperTravelTime, throughput, averageQueue, wallSeconds}");
        run.Options.Add(roadnet);
        run.Options.Add(flow);
        run.Options.Add(controller);
        run.Options.Add(steps);
        run.Options.Add(seed);
        run.Options.Add(threads);
        run.SetAction((result, cancellationToken) => Task.FromResult(Run(
            result.GetValue(roadnet)!, result.GetValue(flow)!, result.GetValue(controller)!, result.GetValue(steps), result.GetValue(seed),
            result.GetValue(threads), Console.Out, Console.Error, cancellationToken)));

        var datasets = new Option<DirectoryInfo>("--datasets") { Description = "Folder of the CityFlow datasets and REFERENCE.md", DefaultValueFactory = _ => new DirectoryInfo("../shared/datasets/traffic") };
        var bench = new Command("bench", "Every controller on every dataset: ATT (engine and paper), throughput, queue, delay, beside CityFlow's and the published figures");
        bench.Options.Add(datasets);
        bench.Options.Add(seed);
        bench.SetAction((result, cancellationToken) => Task.FromResult(Bench(result.GetValue(datasets)!, result.GetValue(seed), Console.Out, Console.Error, cancellationToken)));

        var traffic = new Command("traffic", "The traffic scenario: CityFlow-format simulation and signal control");
        traffic.Subcommands.Add(run);
        traffic.Subcommands.Add(bench);
        return traffic;
    }

    /// <summary>Exit 0 with the JSON line; 2 when a file is broken (the item named on stderr), nothing simulated.</summary>
    public static int Run(FileInfo roadnet, FileInfo flow, string controller, int steps, int seed, int threads, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
    {
        if (steps < 0 || threads < 1)
        {
            error.WriteLine("--steps must be 0 or more and --threads 1 or more");
            return 2;
        }
        RoadNetwork network;
        Demand demand;
        try
        {
            network = CityFlowReader.ReadRoadNetwork(roadnet.FullName);
            demand = CityFlowReader.ReadDemand(flow.FullName, network);
        }
        catch (TrafficDataException e)
        {
            error.WriteLine(e.Message);
            return 2;
        }
        var result = TrafficRun.Run(network, demand, controller, steps, seed, threads, cancellationToken);
        output.WriteLine(JsonSerializer.Serialize(new
        {
            result.Controller,
            result.Steps,
            result.Vehicles,
            AverageTravelTime = Math.Round(result.AverageTravelTime, 2),
            PaperTravelTime = Math.Round(result.PaperTravelTime, 2),
            result.Throughput,
            AverageQueue = Math.Round(result.AverageQueue, 3),
            AverageDelay = Math.Round(result.AverageDelay, 2),
            WallSeconds = Math.Round(result.WallSeconds, 3),
        }, JsonOptions));
        return 0;
    }

    public static int Bench(DirectoryInfo datasets, int seed, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var rows = new List<string>();
        output.WriteLine("| dataset | controller | engine ATT s | paper ATT s | throughput | avg queue | avg delay s | CityFlow engine ATT | CityFlow paper ATT | CityFlow throughput | best published paper ATT | sim s |");
        output.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var dataset in TrafficReference.Datasets)
        {
            var folder = Path.Combine(datasets.FullName, dataset.Folder);
            RoadNetwork network;
            Demand demand;
            try
            {
                network = CityFlowReader.ReadRoadNetwork(Path.Combine(folder, dataset.Roadnet));
                demand = CityFlowReader.ReadDemand(Path.Combine(folder, dataset.Flow), network);
            }
            catch (TrafficDataException e)
            {
                error.WriteLine(e.Message);
                return 2;
            }
            foreach (var controller in TrafficRun.Controllers)
            {
                var result = TrafficRun.Run(network, demand, controller, 3600, seed, 1, cancellationToken);
                var cityFlow = dataset.CityFlow.GetValueOrDefault(controller);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {dataset.Name} | {controller} | {result.AverageTravelTime:F1} | {result.PaperTravelTime:F1} | {result.Throughput} | {result.AverageQueue:F2} | {result.AverageDelay:F1} | {Cell(cityFlow?.EngineTravelTime)} | {Cell(cityFlow?.PaperTravelTime)} | {Cell(cityFlow?.Throughput)} | {(controller == "best" ? $"{dataset.BestPublished:F1} ({dataset.BestPublishedMethod})" : "")} | {result.WallSeconds:F2} |"));
            }
        }
        return 0;
    }

    private static string Cell(double? value) => value is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) : "";
}
