using System.Diagnostics;
using CityBrain.Data.Ingestion;
using CityBrain.Host;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using CityBrain.Scenarios.Policy.Grants;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Rules;
using CityBrain.SyntheticCity.Generation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Benchmarks.Policy;

/// <summary>
/// `policy-lake [--city DIR | --residents N]`: what reading the lake under grants costs a policy run, against reading the
/// department files as runs did before (docs/benchmarks.md, "Policy direct-reach"). The real host (hub, lake) over SQLite;
/// every department file loaded into the lake once; the shipped policies' grants filed and approved as `serve` does. Then
/// per policy, as `policy run` matches it: before = profiles built from the files + the policy's SQL; after = each needed
/// dataset read from the lake under its grant (Parquet, audited) + profiles built from the reads + the same SQL. Both must
/// find the same subjects.
/// </summary>
internal static class PolicyLakeLoadRun
{
    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var root = Path.Combine(Path.GetTempPath(), "citybrain-policy-lake-bench-" + Environment.ProcessId);
        var data = Path.Combine(root, "data");
        var city = args.Text("city");
        try
        {
            if (city is null)
            {
                city = Path.Combine(root, "city");
                var residents = args.Int("residents", 1_000_000);
                Console.WriteLine($"generating a city of {residents:N0} residents in {city}");
                await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = residents, Seed = 20210101, OutputDirectory = city }, null, cancellationToken);
            }
            Directory.CreateDirectory(data);
            await using var app = CityBrainHost.Create(new HostSettings(data, "sqlite:" + Path.Combine(data, "citybrain.db"), "http://127.0.0.1:0"),
                builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
            await CityBrainHost.PrepareAsync(app, cancellationToken);
            await app.StartAsync(cancellationToken);
            var hub = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

            var clock = Stopwatch.StartNew();
            await IngestAsync(app.Services, city, cancellationToken);
            Console.WriteLine($"department files loaded into the lake (once, as ingestion does): {Seconds(clock)} s");
            var granted = await PolicyGrants.RequestDemoGrantsAsync(app.Services, hub, cancellationToken);
            Console.WriteLine($"grants approved: {granted}");

            var access = new PolicyAccess(app.Services.GetRequiredService<IGrantLookup>(), app.Services.GetRequiredService<IDatasetExtracts>(),
                app.Services.GetRequiredService<PolicyRunFolders>(), TimeProvider.System);
            var asOf = await GroundTruthCheck.AsOfAsync(city, cancellationToken);
            // Wall time and this process's processor time per step: the machine is shared, and processor time says what
            // a step costs when others' work stretches the wall clock.
            var totals = new Step[5];
            string[] names = ["files: profiles built", "files: policy SQL", "lake: reads under grants", "lake: profiles built", "lake: policy SQL"];
            foreach (var policy in PolicyLoader.Shipped())
            {
                var steps = new Step[5];
                IReadOnlyList<Match> fromFiles;
                var step = Step.Start();
                await using (var duck = await ProfileBuilder.OpenCityAsync(city, cancellationToken))
                {
                    await ProfileBuilder.BuildAsync(duck, asOf, cancellationToken);
                    steps[0] = step.Stop();
                    step = Step.Start();
                    fromFiles = await PolicyMatcher.MatchAsync(duck, policy, asOf, cancellationToken);
                    steps[1] = step.Stop();
                }
                // As PolicyAccess.MatchAsync does it, step by step.
                IReadOnlyList<Match> fromLake;
                var folder = Path.Combine(root, "reads-" + policy.Id);
                step = Step.Start();
                await access.RequireGrantsAsync(policy, cancellationToken);
                var files = await access.ReadAsync(policy, "bench", folder, cancellationToken);
                steps[2] = step.Stop();
                step = Step.Start();
                await using (var duck = await ProfileBuilder.OpenReadsAsync(files, cancellationToken))
                {
                    await ProfileBuilder.BuildAsync(duck, asOf, cancellationToken);
                    steps[3] = step.Stop();
                    step = Step.Start();
                    fromLake = await PolicyMatcher.MatchAsync(duck, policy, asOf, cancellationToken);
                    steps[4] = step.Stop();
                }
                Directory.Delete(folder, recursive: true);
                if (!fromFiles.Select(m => (m.Subject, m.Blocked, m.AmountCents)).Order().SequenceEqual(fromLake.Select(m => (m.Subject, m.Blocked, m.AmountCents)).Order()))
                {
                    throw new InvalidOperationException($"{policy.Id}: the lake's matches differ from the files' ({fromLake.Count:N0} against {fromFiles.Count:N0})");
                }
                for (var i = 0; i < steps.Length; i++)
                {
                    totals[i] += steps[i];
                }
                Console.WriteLine($"  {policy.Id,-26} {fromLake.Count,9:N0} matched, {policy.Needs.Count} datasets; files {steps[0] + steps[1]}; lake {steps[2] + steps[3] + steps[4]}");
            }
            Console.WriteLine("10 policies, each matched as a run does (wall s / processor s):");
            for (var i = 0; i < totals.Length; i++)
            {
                Console.WriteLine($"  {names[i],-26} {totals[i]}");
            }
            Console.WriteLine($"  {"files, total",-26} {totals[0] + totals[1]}");
            Console.WriteLine($"  {"lake, total",-26} {totals[2] + totals[3] + totals[4]}");
            return 0;
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    /// <summary>The datasets the profiles read, registered with the fields of their files and loaded into the lake by their owning units.</summary>
    private static async Task IngestAsync(IServiceProvider services, string city, CancellationToken cancellationToken)
    {
        string FileOf(string dataset) => Path.Combine(city, "departments", dataset.Split('.')[0], dataset.Split('.')[1] + ".csv");
        await services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest
        {
            Units = [.. ProfileBuilder.Datasets.Select(d => d.Split('.')[0]).Append("kjj").Distinct().Select(u => new UnitSpec { Code = u, Name = u, DivisionCode = "330100" })],
            Datasets = [.. ProfileBuilder.Datasets.Select(d => new DatasetSpec
            {
                Code = d, Unit = d.Split('.')[0], Name = d, UpdateFrequency = "daily", Sharing = "conditional",
                Fields = [.. File.ReadLines(FileOf(d)).First().Split(',').Select(f => new FieldSpec { Name = f, Level = "personal" })],
            })],
        }, new Caller("admin", HubRoles.Admin, "dsj", null, null), cancellationToken);
        var files = services.GetRequiredService<FileIngestion>();
        foreach (var dataset in ProfileBuilder.Datasets)
        {
            await files.LoadAsync(dataset, FileOf(dataset), Path.GetFileName(FileOf(dataset)), "csv", null, "unit:" + dataset.Split('.')[0], cancellationToken);
        }
    }

    /// <summary>A step's wall time and this process's processor time.</summary>
    private readonly record struct Step(double Wall, double Processor)
    {
        public static Step operator +(Step a, Step b) => new(a.Wall + b.Wall, a.Processor + b.Processor);

        public static Running Start() => new(Stopwatch.GetTimestamp(), Process.GetCurrentProcess().TotalProcessorTime);

        public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Wall,7:0.0} s wall / {Processor,6:0.0} s cpu");
    }

    private readonly record struct Running(long Started, TimeSpan Processor)
    {
        public Step Stop() => new(Stopwatch.GetElapsedTime(Started).TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - Processor).TotalSeconds);
    }

    private static string Seconds(Stopwatch clock) => clock.Elapsed.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
