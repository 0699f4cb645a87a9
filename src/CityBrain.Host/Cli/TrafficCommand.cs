using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CityBrain.Scenarios.Traffic;
using CityBrain.Scenarios.Traffic.Network;
using CityBrain.Scenarios.Traffic.WhatIf;

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
        var repeat = new Option<int>("--repeat") { Description = "Run the simulation this many times in the process and report the fastest wallSeconds (the first run includes JIT compilation)", DefaultValueFactory = _ => 1 };

        var run = new Command("run", "Simulate one dataset under one signal controller; prints {controller, steps, vehicles, averageTravelTime, paperTravelTime, throughput, averageQueue, wallSeconds}");
        run.Options.Add(roadnet);
        run.Options.Add(flow);
        run.Options.Add(controller);
        run.Options.Add(steps);
        run.Options.Add(seed);
        run.Options.Add(threads);
        run.Options.Add(repeat);
        run.SetAction((result, cancellationToken) => Task.FromResult(Run(
            result.GetValue(roadnet)!, result.GetValue(flow)!, result.GetValue(controller)!, result.GetValue(steps), result.GetValue(seed),
            result.GetValue(threads), result.GetValue(repeat), Console.Out, Console.Error, cancellationToken)));

        var datasets = new Option<DirectoryInfo>("--datasets") { Description = "Folder of the CityFlow datasets and REFERENCE.md", DefaultValueFactory = _ => new DirectoryInfo("../shared/datasets/traffic") };
        var bench = new Command("bench", "Every controller on every dataset: ATT (engine and paper), throughput, queue, delay, beside CityFlow's and the published figures");
        bench.Options.Add(datasets);
        bench.Options.Add(seed);
        bench.SetAction((result, cancellationToken) => Task.FromResult(Bench(result.GetValue(datasets)!, result.GetValue(seed), Console.Out, Console.Error, cancellationToken)));

        var rows = new Option<int>("--rows") { Description = "Signals per column", DefaultValueFactory = _ => 30 };
        var columns = new Option<int>("--columns") { Description = "Signals per row", DefaultValueFactory = _ => 30 };
        var vehicles = new Option<int>("--vehicles") { Description = "Vehicles entering in the hour", DefaultValueFactory = _ => 100_000 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for roadnet.json and flow.json", Required = true };
        var grid = new Command("grid", "Write a generated grid city (CityFlow roadnet.json and flow.json) to simulate with `traffic run`");
        grid.Options.Add(rows);
        grid.Options.Add(columns);
        grid.Options.Add(vehicles);
        grid.Options.Add(seed);
        grid.Options.Add(output);
        grid.SetAction((result, cancellationToken) => WriteGridAsync(result.GetValue(rows), result.GetValue(columns), result.GetValue(vehicles),
            result.GetValue(seed), result.GetValue(output)!, Console.Error, cancellationToken));

        var day = new Option<DayOfWeek>("--day") { Description = "Weekday of the simulated hour", DefaultValueFactory = _ => DayOfWeek.Monday };
        var start = new Option<TimeOnly>("--start") { Description = "Clock time at which the simulated hour starts (HH:mm)", DefaultValueFactory = _ => new TimeOnly(8, 0) };
        var tailRule = new Option<string>("--tail-rule") { Description = "hangzhou (weekdays 7:00-9:00 and 16:30-18:30, two digits a day) | none", DefaultValueFactory = _ => "hangzhou" };
        tailRule.AcceptOnlyFromAmong("hangzhou", "none");
        var compliance = new Option<double>("--compliance") { Description = "Share of banned vehicles that obey", DefaultValueFactory = _ => 1.0 };
        var shift = new Option<double>("--shift") { Description = "Share of the hour's trips moved out of the peak", DefaultValueFactory = _ => 0.0 };
        var close = new Option<string[]>("--close") { Description = "Road ids closed (trips take the shortest open way)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [] };
        var whatIf = new Command("whatif", "Baseline and restricted hour side by side: travel time, throughput, congestion index");
        foreach (var option in new Option[] { roadnet, flow, controller, steps, seed, day, start, tailRule, compliance, shift, close })
        {
            whatIf.Options.Add(option);
        }
        whatIf.SetAction((result, cancellationToken) =>
        {
            var restriction = (result.GetValue(tailRule) == "hangzhou"
                ? Restriction.HangzhouTailNumbers(result.GetValue(day), result.GetValue(start))
                : new Restriction { Day = result.GetValue(day), ClockStart = result.GetValue(start) }) with
            {
                Compliance = result.GetValue(compliance),
                PeakShiftShare = result.GetValue(shift),
                ClosedRoads = result.GetValue(close) ?? [],
            };
            return Task.FromResult(WhatIf(result.GetValue(roadnet)!, result.GetValue(flow)!, restriction, result.GetValue(controller)!,
                result.GetValue(steps), result.GetValue(seed), Console.Out, Console.Error, cancellationToken));
        });

        var traffic = new Command("traffic", "The traffic scenario: CityFlow-format simulation and signal control");
        traffic.Subcommands.Add(whatIf);
        traffic.Subcommands.Add(grid);
        traffic.Subcommands.Add(run);
        traffic.Subcommands.Add(bench);
        return traffic;
    }

    /// <summary>Exit 0 with the JSON line; 2 when a file is broken (the item named on stderr), nothing simulated.</summary>
    public static int Run(FileInfo roadnet, FileInfo flow, string controller, int steps, int seed, int threads, int repeat, TextWriter output,
        TextWriter error, CancellationToken cancellationToken)
    {
        if (steps < 0 || threads < 1 || repeat < 1)
        {
            error.WriteLine("--steps must be 0 or more, --threads and --repeat 1 or more");
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
        for (var run = 1; run < repeat; run++)
        {
            var again = TrafficRun.Run(network, demand, controller, steps, seed, threads, cancellationToken);
            result = again.WallSeconds < result.WallSeconds ? again : result;
        }
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
            CongestionIndex = Math.Round(result.CongestionIndex, 3),
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
            foreach (var result in TrafficRun.RunEveryController(network, demand, 3600, seed, cancellationToken))
            {
                var controller = result.Controller;
                var cityFlow = dataset.CityFlow.GetValueOrDefault(controller);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {dataset.Name} | {controller} | {result.AverageTravelTime:F1} | {result.PaperTravelTime:F1} | {result.Throughput} | {result.AverageQueue:F2} | {result.AverageDelay:F1} | {Cell(cityFlow?.EngineTravelTime)} | {Cell(cityFlow?.PaperTravelTime)} | {Cell(cityFlow?.Throughput)} | {(controller == "best" ? $"{dataset.BestPublished:F1} ({dataset.BestPublishedMethod})" : "")} | {result.WallSeconds:F2} |"));
            }
        }
        return 0;
    }

    /// <summary>Exit 0 with one JSON object {baseline, scenario, effect}; 2 when a file or the restriction is wrong (named on stderr).</summary>
    public static int WhatIf(FileInfo roadnet, FileInfo flow, Restriction restriction, string controller, int steps, int seed, TextWriter output,
        TextWriter error, CancellationToken cancellationToken)
    {
        WhatIfResult result;
        try
        {
            var network = CityFlowReader.ReadRoadNetwork(roadnet.FullName);
            var demand = CityFlowReader.ReadDemand(flow.FullName, network);
            result = RestrictionWhatIf.Compare(network, demand, restriction, controller, steps, seed, cancellationToken);
        }
        catch (TrafficDataException e)
        {
            error.WriteLine(e.Message);
            return 2;
        }
        output.WriteLine(JsonSerializer.Serialize(new { result.Baseline, result.Scenario, result.Effect }, JsonOptions));
        return 0;
    }

    public static async Task<int> WriteGridAsync(int rows, int columns, int vehicles, int seed, DirectoryInfo output, TextWriter error,
        CancellationToken cancellationToken)
    {
        if (rows < 1 || columns < 1 || vehicles < 0)
        {
            await error.WriteLineAsync("--rows and --columns must be 1 or more, --vehicles 0 or more".AsMemory(), cancellationToken);
            return 2;
        }
        var (roadnet, flow) = GridCity.Generate(rows, columns, vehicles, seed: seed);
        output.Create();
        await File.WriteAllTextAsync(Path.Combine(output.FullName, "roadnet.json"), roadnet, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(output.FullName, "flow.json"), flow, cancellationToken);
        return 0;
    }

    private static string Cell(double? value) => value is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) : "";
}
