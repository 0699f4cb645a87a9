using System.Diagnostics;
using System.Globalization;
using CityBrain.Scenarios.Policy;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;
using CityBrain.Storage.Sqlite;
using CityBrain.SyntheticCity.Generation;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityBrain.Benchmarks.Policy;

/// <summary>
/// `policy [--city DIR | --residents N] [--payouts N] [--explanations N]`: the policy engine on a whole city (docs/benchmarks.md,
/// "Policy direct-reach"): profiles built, every shipped policy matched set-based in DuckDB, the same rules evaluated row by
/// row in C# over the same profile rows, ledger postings per second, and the time of one explanation.
/// </summary>
internal static class PolicyLoadRun
{
    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(Path.GetTempPath(), "citybrain-policy-bench-" + Environment.ProcessId);
        var city = args.Text("city");
        if (city is null)
        {
            city = Path.Combine(temp, "city");
            var residents = args.Int("residents", 1_000_000);
            Console.WriteLine($"generating a city of {residents:N0} residents in {city}");
            await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = residents, Seed = 20210101, OutputDirectory = city }, null, cancellationToken);
        }
        try
        {
            var policies = PolicyLoader.Shipped();
            var asOf = await GroundTruthCheck.AsOfAsync(city, cancellationToken);
            await using var duck = await ProfileBuilder.OpenCityAsync(city, cancellationToken);
            var clock = Stopwatch.StartNew();
            await ProfileBuilder.BuildAsync(duck, asOf, cancellationToken);
            Console.WriteLine($"profiles built from the department files: {Seconds(clock)} s ({await CountAsync(duck, "resident_profile"):N0} residents, {await CountAsync(duck, "enterprise_profile"):N0} enterprises)");

            clock.Restart();
            var found = new Dictionary<string, int>(StringComparer.Ordinal);
            var largest = (Policy: policies[0], Matches: (IReadOnlyList<Match>)[]);
            foreach (var policy in policies)
            {
                var perPolicy = Stopwatch.StartNew();
                var matches = await PolicyMatcher.MatchAsync(duck, policy, asOf, cancellationToken);
                found[policy.Id] = matches.Count;
                if (matches.Count > largest.Matches.Count)
                {
                    largest = (policy, matches);
                }
                Console.WriteLine($"  set-based {policy.Id,-26} {matches.Count,10:N0} matched in {Seconds(perPolicy)} s");
            }
            var setBased = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"set-based matching, {policies.Count} policies (SQL in DuckDB, eligible list with snapshots read back): {setBased:0.000} s");

            // The decision alone, as the row-by-row loop below makes it (who qualifies, and the amount), without reading
            // the eligible list and its snapshots back into .NET: the engine against the loop on equal terms.
            clock.Restart();
            foreach (var policy in policies)
            {
                await using var command = duck.CreateCommand();
                command.CommandText = $"SELECT COUNT(*), SUM(amount) FROM ({PolicyMatcher.MatchSql(policy)}) m";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                await reader.ReadAsync(cancellationToken);
                if (reader.GetInt64(0) != found[policy.Id])
                {
                    throw new InvalidOperationException($"{policy.Id}: counted {reader.GetInt64(0):N0}, matched {found[policy.Id]:N0}");
                }
            }
            Console.WriteLine($"set-based decision only, {policies.Count} policies (COUNT and SUM of the amount in DuckDB): {Seconds(clock)} s");

            clock.Restart();
            var rowByRowFound = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var target in new[] { Target.Residents, Target.Enterprises })
            {
                await EvaluateRowByRowAsync(duck, policies.Where(p => p.Target == target).ToList(), rowByRowFound, cancellationToken);
            }
            foreach (var policy in policies)
            {
                if (rowByRowFound[policy.Id] != found[policy.Id])
                {
                    throw new InvalidOperationException($"{policy.Id}: row by row found {rowByRowFound[policy.Id]:N0}, set-based {found[policy.Id]:N0}");
                }
            }
            Console.WriteLine($"row-by-row C#, same rules over the same profile rows streamed from DuckDB, same subjects found: {clock.Elapsed.TotalSeconds:0.000} s");

            await PostingsAsync(largest.Policy, largest.Matches, args.Int("payouts", 100_000), temp, cancellationToken);
            await ExplanationsAsync(duck, policies, largest.Matches, asOf, args.Int("explanations", 200), cancellationToken);
            return 0;
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    /// <summary>Reservations, settlements and ledger postings on SQLite with a bank that settles at once (the store's speed, not the bank's).</summary>
    private static async Task PostingsAsync(PolicyDefinition policy, IReadOnlyList<Match> matches, int payouts, string temp, CancellationToken cancellationToken)
    {
        var eligible = matches.Where(m => !m.Blocked).Take(payouts).ToList();
        Directory.CreateDirectory(temp);
        var store = new SqliteOperationalStore(Path.Combine(temp, "ledger.db"));
        await PolicyCli.MigrateAsync(store, TimeProvider.System, cancellationToken);
        var run = new PayoutRun(store, new InstantBank(), TimeProvider.System, NullLogger.Instance) { Parallelism = 4 };
        var clock = Stopwatch.StartNew();
        var summary = await run.PayAsync(policy with { Budget = 1_000_000_000_000m }, "bench", eligible, TimeProvider.System.GetTimestamp(), cancellationToken);
        Console.WriteLine($"payouts: {summary.Paid:N0} reserved, settled and posted (2 ledger rows each) on SQLite in {Seconds(clock)} s = {summary.Paid / clock.Elapsed.TotalSeconds:N0} payouts/s");
    }

    private static async Task ExplanationsAsync(DuckDB.NET.Data.DuckDBConnection duck, IReadOnlyList<PolicyDefinition> policies, IReadOnlyList<Match> matches, DateOnly asOf, int count, CancellationToken cancellationToken)
    {
        var times = new List<double>();
        var policy = policies.First(p => p.Target == Target.Residents);
        for (var i = 0; i < count; i++)
        {
            var subject = matches[i * 7919 % matches.Count].Subject;
            var clock = Stopwatch.StartNew();
            await PolicyMatcher.ExplainAsync(duck, policy, subject, asOf, cancellationToken);
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        Console.WriteLine($"explanations ({count}, {policy.Id}): p50 {times[times.Count / 2]:0.0} ms, p99 {times[(int)(times.Count * 0.99)]:0.0} ms");
    }

    /// <summary>Every row of the target's profile table, read once; each policy's clauses and amount evaluated on it in C#.</summary>
    private static async Task EvaluateRowByRowAsync(DuckDB.NET.Data.DuckDBConnection duck, List<PolicyDefinition> policies, Dictionary<string, int> found, CancellationToken cancellationToken)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = $"SELECT * FROM {ProfileSchema.Table(policies[0].Target)}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var columns = Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => i, StringComparer.Ordinal);
        var counts = new int[policies.Count];
        var row = new object?[reader.FieldCount];
        while (await reader.ReadAsync(cancellationToken))
        {
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }
            for (var p = 0; p < policies.Count; p++)
            {
                if (policies[p].Eligible.All(c => RowByRow.Evaluate(c.Expression, row, columns) is true))
                {
                    RowByRow.Evaluate(policies[p].Amount, row, columns);
                    counts[p]++;
                }
            }
        }
        for (var p = 0; p < policies.Count; p++)
        {
            found[policies[p].Id] = counts[p];
        }
    }

    private static async Task<long> CountAsync(DuckDB.NET.Data.DuckDBConnection duck, string table)
    {
        await using var command = duck.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM {table}";
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static string Seconds(Stopwatch clock) => clock.Elapsed.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);

    private sealed class InstantBank : IPaymentProvider
    {
        private int _reference;

        public Task<Settlement?> PayAsync(PaymentOrder order, CancellationToken cancellationToken) =>
            Task.FromResult<Settlement?>(new Settlement("B" + Interlocked.Increment(ref _reference), order.Key, order.Payee, order.Amount));

        public Task<IReadOnlyList<Settlement>> StatementAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<Settlement>>([]);
    }
}
