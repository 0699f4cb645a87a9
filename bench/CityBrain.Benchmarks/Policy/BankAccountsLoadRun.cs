using System.Diagnostics;
using System.Globalization;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.SyntheticCity.Departments.Bank;
using CityBrain.SyntheticCity.Generation;

namespace CityBrain.Benchmarks.Policy;

/// <summary>
/// `bank-accounts [--city DIR | --residents N] [--checks N]`: the demo bank's side of the citizen's account confirmation
/// (docs/benchmarks.md, "Policy direct-reach"): the time to open every resident's two accounts on the first request, then
/// N account checks (the account on file, then a verification of the second account under the holder's name) through the
/// platform's bank adapter over HTTP, one at a time, with their latency.
/// </summary>
internal static class BankAccountsLoadRun
{
    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(Path.GetTempPath(), "citybrain-bank-bench-" + Environment.ProcessId);
        var city = args.Text("city");
        if (city is null)
        {
            city = Path.Combine(temp, "city");
            var residents = args.Int("residents", 100_000);
            Console.WriteLine($"generating a city of {residents:N0} residents in {city}");
            await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = residents, Seed = 20210101, OutputDirectory = city }, null, cancellationToken);
        }
        try
        {
            var people = File.ReadLines(Path.Combine(city, "truth", "residents.csv")).Skip(1).Select(l => l.Split(',', 3)).ToList();
            await using var bank = await DemoBank.StartAsync(Path.Combine(temp, "bank"), new DemoBankOptions { FailureRate = 0, TimeoutRate = 0, CityDirectory = city }, cancellationToken);
            using var http = new HttpClient { BaseAddress = bank.BaseUrl, Timeout = TimeSpan.FromMinutes(30) };
            IBankAccounts accounts = new HttpBankProvider(http, new BankOptions(TimeSpan.FromMinutes(30), 1, TimeSpan.FromMilliseconds(5)), TimeProvider.System);

            var clock = Stopwatch.StartNew();
            await accounts.AccountOnFileAsync(people[0][0], cancellationToken);
            Console.WriteLine($"accounts opened for {people.Count:N0} residents ({2 * people.Count:N0} accounts) on the first request: {clock.Elapsed.TotalSeconds:0.000} s");

            var checks = args.Int("checks", 2_000);
            var random = new Random(7);
            var latencies = new List<double>(checks);
            var verified = 0;
            clock.Restart();
            for (var i = 0; i < checks; i++)
            {
                var person = people[random.Next(people.Count)];
                var one = Stopwatch.StartNew();
                await accounts.AccountOnFileAsync(person[0], cancellationToken);
                var answer = await accounts.VerifyAsync(DemoBank.AccountNumber(person[0], 1), person[0], person[1], cancellationToken);
                latencies.Add(one.Elapsed.TotalMilliseconds);
                verified += answer.Verified ? 1 : 0;
            }
            latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{checks:N0} confirmations' bank checks (on file + verify), one at a time: {checks / clock.Elapsed.TotalSeconds:0} /s, p50 {latencies[checks / 2]:0.00} ms, p99 {latencies[checks * 99 / 100]:0.00} ms; {verified:N0} verified"));
            return verified == checks ? 0 : 1;
        }
        finally
        {
            try
            {
                Directory.Delete(temp, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS's temp cleaner.
            }
        }
    }
}
