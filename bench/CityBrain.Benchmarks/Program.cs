using BenchmarkDotNet.Running;
using CityBrain.Benchmarks;
using CityBrain.Benchmarks.Addresses;

// Load runs (see docs/benchmarks.md): `dotnet run -c Release --project bench/CityBrain.Benchmarks -- gateway|audit|registry|lake-load-run|profile-load-run|address-load-run|cockpit-load|policy|policy-lake|bank-accounts|sensing|traffic-detectors [options]`.
// Anything else goes to BenchmarkDotNet: `-- --list flat` lists the micro-benchmarks.
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
try
{
    return args.FirstOrDefault() switch
    {
        "gateway" => await GatewayLoadRun.RunAsync(new LoadRunArgs(args[1..], "seconds", "connections", "rounds", "rate"), stop.Token),
        "audit" => await AuditLoadRun.RunAsync(new LoadRunArgs(args[1..], "records", "appenders", "verify-records", "data"), stop.Token),
        "registry" => await RegistryLoadRun.RunAsync(new LoadRunArgs(args[1..], "interfaces", "units", "systems"), stop.Token),
        "lake-load-run" => await CityBrain.Benchmarks.Data.LakeLoadRun.RunAsync(new LoadRunArgs(args[1..], "rows", "rounds"), stop.Token),
        "profile-load-run" => await CityBrain.Benchmarks.Data.ProfileLoadRun.RunAsync(new LoadRunArgs(args[1..], "residents", "lookups"), stop.Token),
        "address-load-run" => AddressLoadRun.Run(args[1..]),
        "policy" => await CityBrain.Benchmarks.Policy.PolicyLoadRun.RunAsync(new LoadRunArgs(args[1..], "city", "residents", "payouts", "explanations"), stop.Token),
        "policy-lake" => await CityBrain.Benchmarks.Policy.PolicyLakeLoadRun.RunAsync(new LoadRunArgs(args[1..], "city", "residents"), stop.Token),
        "bank-accounts" => await CityBrain.Benchmarks.Policy.BankAccountsLoadRun.RunAsync(new LoadRunArgs(args[1..], "city", "residents", "checks"), stop.Token),
        "sensing" => await CityBrain.Benchmarks.Sensing.SensingLoadRun.RunAsync(new LoadRunArgs(args[1..], "entities", "messages", "queries", "store", "only"), stop.Token),
        "traffic-detectors" => await CityBrain.Benchmarks.Traffic.TrafficDetectorsLoadRun.RunAsync(new LoadRunArgs(args[1..], "rounds", "steps", "datasets"), stop.Token),
        "cockpit-load" => await CityBrain.Benchmarks.Cockpit.CockpitLoadRun.RunAsync(args[1..]),
        _ => Micro(args),
    };
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

static int Micro(string[] args)
{
    BenchmarkSwitcher.FromAssembly(typeof(LoadRunArgs).Assembly).Run(args);
    return 0;
}
