using System.CommandLine;
using System.Diagnostics;
using CityBrain.Kernel.Errors;
using CityBrain.SyntheticCity.Generation;
using Spectre.Console;

namespace CityBrain.Host.Cli;

/// <summary>`citybrain city generate`: writes a deterministic synthetic Hangzhou (docs/synthetic-city.md).</summary>
internal static class CityCommand
{
    public static Command Build()
    {
        var residents = new Option<int>("--residents") { Description = "Residents to generate (1 to 20,000,000; Hangzhou has about 12.2 million)", DefaultValueFactory = _ => CityGenerationOptions.DefaultResidents };
        var seed = new Option<long>("--seed") { Description = "The seed: the same seed and size give byte-identical files", DefaultValueFactory = _ => CityGenerationOptions.DefaultSeed };
        var output = new Option<string>("--out") { Description = "The folder to write (must not exist or be empty)", Required = true };
        var asOf = new Option<DateOnly?>("--as-of") { Description = "The city's 'today' (default 2025-12-31)" };
        var parallelism = new Option<int?>("--parallelism") { Description = "Worker threads (default: all cores); the output does not depend on it" };

        var generate = new Command("generate", "Generate a synthetic city: ground truth in truth/, each department's dirty view in departments/");
        generate.Options.Add(residents);
        generate.Options.Add(seed);
        generate.Options.Add(output);
        generate.Options.Add(asOf);
        generate.Options.Add(parallelism);
        generate.SetAction((result, cancellationToken) =>
        {
            var options = new CityGenerationOptions
            {
                Residents = result.GetValue(residents),
                Seed = result.GetValue(seed),
                OutputDirectory = result.GetValue(output)!,
                Parallelism = result.GetValue(parallelism),
            };
            if (result.GetValue(asOf) is { } day)
            {
                options.AsOf = day;
            }
            return GenerateAsync(options, cancellationToken);
        });

        var city = new Command("city", "The synthetic demo city");
        city.Subcommands.Add(generate);
        return city;
    }

    /// <summary>Exit 0 when written; 2 when the parameters are impossible (nothing is written then).</summary>
    public static async Task<int> GenerateAsync(CityGenerationOptions options, CancellationToken cancellationToken)
    {
        try
        {
            options.Validate();
        }
        catch (ValidationFailedException e)
        {
            foreach (var (field, messages) in e.Errors!)
            {
                AnsiConsole.MarkupLine($"[red]--{Markup.Escape(field)}[/]: {Markup.Escape(string.Join("; ", messages))}");
            }
            return 2;
        }

        var clock = Stopwatch.StartNew();
        var result = await GenerationProgressBar.GenerateAsync(options, cancellationToken);
        clock.Stop();

        var bytes = Directory.EnumerateFiles(result.OutputDirectory, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        var table = new Table().AddColumns("file", "rows");
        foreach (var (path, rows) in result.Rows)
        {
            table.AddRow(Markup.Escape(path), rows.ToString("N0", System.Globalization.CultureInfo.InvariantCulture));
        }
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[green]Generated[/] {options.Residents:N0} residents (seed {options.Seed}) in {Markup.Escape(result.OutputDirectory)}");
        AnsiConsole.MarkupLine($"elapsed {clock.Elapsed.TotalSeconds:F1} s, output {bytes / 1_048_576.0:N0} MiB, peak working set {Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576.0:N0} MiB");
        return 0;
    }
}
