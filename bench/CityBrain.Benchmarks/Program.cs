using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/CityBrain.Benchmarks -- --list flat` lists the benchmarks;
// load runs that are not BenchmarkDotNet benchmarks are verbs of their own (see docs/benchmarks.md).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
