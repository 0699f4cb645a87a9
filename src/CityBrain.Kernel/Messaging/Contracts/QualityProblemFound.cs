namespace CityBrain.Kernel.Messaging.Contracts;

/// <summary>
/// The data module's quality run found records of one dataset failing one rule on one field: a problem for the
/// owning unit to rectify (整改). <see cref="ProblemKey"/> names the problem across runs (dataset, field, rule), so
/// the same problem found again carries the same key. <see cref="SampleKeys"/> are a few failing records' keys, with
/// personal values masked; <see cref="FindingsPath"/> is the API path listing every failing record (staff only).
/// </summary>
public sealed record QualityProblemFound(
    string ProblemKey,
    string RunId,
    string Dataset,
    string Unit,
    string Field,
    string Rule,
    string Dimension,
    long FailingCount,
    IReadOnlyList<string> SampleKeys,
    string FindingsPath,
    DateTimeOffset FoundAt) : IIntegrationEvent
{
    public static string Name => "data.quality-problem-found";
}
