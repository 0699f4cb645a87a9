using CityBrain.Cockpit.Evaluation;
using CityBrain.Cockpit.Supervision;
using CityBrain.Cockpit.Tasks;
using CityBrain.Kernel.Errors;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit;

/// <summary>A city's own published rules file (supervision lists, scenario lifecycle), read in place of the embedded defaults.</summary>
internal static class RulesFile
{
    public static string Read(string path) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new ValidationFailedException(path, "the rules file does not exist");
}

/// <summary>Checks the configured rules files at start, so that a wrong file stops the node with its name and field, not a page later.</summary>
internal sealed class RulesFilesAreValid : IValidateOptions<TaskOptions>
{
    public ValidateOptionsResult Validate(string? name, TaskOptions options)
    {
        var failures = new List<string>();
        Check(options.SupervisionRulesFile, file => SupervisionRules.Parse(RulesFile.Read(file), file), nameof(options.SupervisionRulesFile), failures);
        Check(options.LifecycleRulesFile, file => LifecycleRules.Parse(RulesFile.Read(file), file), nameof(options.LifecycleRulesFile), failures);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Check(string? file, Action<string> parse, string option, List<string> failures)
    {
        if (file is null)
        {
            return;
        }
        try
        {
            parse(file);
        }
        catch (ProblemException e)
        {
            failures.Add($"{TaskOptions.Section}:{option}: " + string.Join("; ", e.Errors?.Select(f => $"{f.Key}: {string.Join(", ", f.Value)}") ?? [e.Message]));
        }
    }
}
