using CityBrain.SyntheticCity.Generation;
using Spectre.Console;

namespace CityBrain.Host.Cli;

/// <summary>Generates a city with one progress bar per stage on the console (used by `city generate` and by `serve`'s first start).</summary>
internal static class GenerationProgressBar
{
    public static async Task<CityGenerationResult> GenerateAsync(CityGenerationOptions options, CancellationToken cancellationToken)
    {
        CityGenerationResult result = null!;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                var progress = new SynchronousProgress(p =>
                {
                    lock (tasks)
                    {
                        if (!tasks.TryGetValue(p.Stage, out var task))
                        {
                            foreach (var earlier in tasks.Values)
                            {
                                earlier.Value = earlier.MaxValue;
                            }
                            tasks[p.Stage] = task = context.AddTask(Markup.Escape(p.Stage), maxValue: Math.Max(1, p.Total));
                        }
                        task.Value = Math.Min(p.Done, task.MaxValue);
                    }
                });
                result = await CityGenerator.GenerateAsync(options, progress, cancellationToken);
                foreach (var task in tasks.Values)
                {
                    task.Value = task.MaxValue;
                }
            });
        return result;
    }

    /// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and arrive late).</summary>
    private sealed class SynchronousProgress(Action<GenerationProgress> report) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value) => report(value);
    }
}
