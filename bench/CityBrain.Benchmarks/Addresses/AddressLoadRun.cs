using System.Diagnostics;
using System.Globalization;
using CityBrain.Data.Addresses;
using CityBrain.Data.Tests.Addresses;

namespace CityBrain.Benchmarks.Addresses;

/// <summary>
/// `dotnet run -c Release --project bench/CityBrain.Benchmarks -- address-load-run CITY_DIR [--rounds N] [--show-failures N]`:
/// loads CITY_DIR/truth/addresses.csv as the register, normalises every labelled address of the city (the planted
/// address variants and the clean department columns, see DemoCityAddressCorpus) as one batch, and prints accuracy and
/// throughput. Figures go to docs/benchmarks.md.
/// </summary>
internal static class AddressLoadRun
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || !Directory.Exists(args[0]))
        {
            Console.Error.WriteLine("usage: address-load-run CITY_DIR [--rounds N] [--show-failures N]  (a city from `citybrain city generate`)");
            return 2;
        }
        var rounds = Option(args, "--rounds", 5);
        var showFailures = Option(args, "--show-failures", 0);
        var onlyWrong = args.Contains("--wrong-only");

        var load = Stopwatch.StartNew();
        AddressBase addressBase;
        using (var register = new StreamReader(DemoCityAddressCorpus.RegisterPath(args[0])))
        {
            addressBase = AddressBase.Hangzhou(register);
        }
        load.Stop();
        var corpus = DemoCityAddressCorpus.Read(args[0]);
        corpus.AddRange(DemoCityAddressCorpus.PerturbedSample(args[0], 100_000, seed: 1));
        var inputs = corpus.Select(c => c.Input).ToList();
        Console.WriteLine($"register: {addressBase.StandardAddressCount:N0} standard addresses loaded in {load.Elapsed.TotalSeconds:F2} s; corpus: {corpus.Count:N0} addresses");

        AddressBatch batch = addressBase.NormalizeAll(inputs, CancellationToken.None); // warm-up, and the results to score
        foreach (var source in new[] { DemoCityAddressCorpus.Dirty, DemoCityAddressCorpus.Clean, DemoCityAddressCorpus.Perturbed, null })
        {
            int total = 0, right = 0, wrong = 0, unmatched = 0;
            for (var i = 0; i < corpus.Count; i++)
            {
                if (source is not null && corpus[i].Source != source)
                {
                    continue;
                }
                total++;
                var result = batch.Results[i];
                if (!result.Matched)
                {
                    unmatched++;
                }
                else if (result.StandardId == corpus[i].ExpectedId)
                {
                    right++;
                }
                else
                {
                    wrong++;
                }
            }
            Console.WriteLine($"{source ?? "all",-20} {total,9:N0}  right {Percent(right, total)}  wrong {Percent(wrong, total)} ({wrong:N0})  unmatched {Percent(unmatched, total)} ({unmatched:N0})");
        }

        var shown = 0;
        for (var i = 0; i < corpus.Count && shown < showFailures; i++)
        {
            var result = batch.Results[i];
            if (result.StandardId != corpus[i].ExpectedId && (result.Matched || !onlyWrong))
            {
                shown++;
                Console.WriteLine($"  {(result.Matched ? "WRONG" : "unmatched")}: {corpus[i].Input} -> {result.Standard ?? result.Reason} (expected {corpus[i].ExpectedId})");
            }
        }

        var best = double.MaxValue;
        for (var round = 0; round < rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            addressBase.NormalizeAll(inputs, CancellationToken.None);
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        var single = Stopwatch.StartNew();
        foreach (var input in inputs)
        {
            addressBase.Normalize(input);
        }
        single.Stop();
        Console.WriteLine($"throughput: {inputs.Count / best:N0} addresses/s batch on {Environment.ProcessorCount} cores (best of {rounds}), {inputs.Count / single.Elapsed.TotalSeconds:N0} addresses/s on one thread");
        return 0;
    }

    private static string Percent(int part, int total) => (total == 0 ? 0 : 100.0 * part / total).ToString("0.000", CultureInfo.InvariantCulture) + "%";

    private static int Option(string[] args, string name, int fallback)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], CultureInfo.InvariantCulture, out var value) ? value : fallback;
    }
}
