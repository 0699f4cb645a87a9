using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/CityBrain.Benchmarks -- --list flat` lists the benchmarks;
// load runs that are not BenchmarkDotNet benchmarks are verbs of their own (see docs/benchmarks.md).
if (args is ["cockpit-load", ..])
{
    return await CityBrain.Benchmarks.Cockpit.CockpitLoadRun.RunAsync(args[1..]);
}
BenchmarkSwitcher.FromAssembly(typeof(CityBrain.Benchmarks.Cockpit.CockpitLoadRun).Assembly).Run(args);
return 0;
