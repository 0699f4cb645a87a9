using BenchmarkDotNet.Running;
using CityBrain.Benchmarks.Addresses;

// `dotnet run -c Release --project bench/CityBrain.Benchmarks -- --list flat` lists the benchmarks;
// load runs that are not BenchmarkDotNet benchmarks are verbs of their own (see docs/benchmarks.md).
if (args is ["address-load-run", .. var rest])
{
    return AddressLoadRun.Run(rest);
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
