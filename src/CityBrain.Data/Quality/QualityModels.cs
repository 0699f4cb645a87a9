using System.Text.Json.Serialization;

namespace CityBrain.Data.Quality;

/// <summary>What a rule measures; each dimension has a weight in the overall score (docs/data-quality.md).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<QualityDimension>))]
public enum QualityDimension
{
    /// <summary>Required values present (完整性).</summary>
    [JsonStringEnumMemberName("completeness")] Completeness,

    /// <summary>Formats, check characters, ranges, allowed values (准确性/有效性).</summary>
    [JsonStringEnumMemberName("validity")] Validity,

    /// <summary>Keys that identify one record only (唯一性).</summary>
    [JsonStringEnumMemberName("uniqueness")] Uniqueness,

    /// <summary>References to another dataset that resolve (关联性).</summary>
    [JsonStringEnumMemberName("integrity")] Integrity,

    /// <summary>The same person agrees between departments (一致性).</summary>
    [JsonStringEnumMemberName("consistency")] Consistency,

    /// <summary>Updated as often as declared (及时性).</summary>
    [JsonStringEnumMemberName("timeliness")] Timeliness,
}

/// <summary>One failing record: which dataset, which record (its key), which field broke which rule, and the value it holds.</summary>
public sealed record QualityFinding(string Dataset, string Unit, string Key, string Field, string Rule, QualityDimension Dimension, string? Value);

/// <summary>How one rule fared on one dataset.</summary>
public sealed record RuleScore(string Field, string Rule, QualityDimension Dimension, long Checked, long Failed)
{
    public double PassRate => Checked == 0 ? 1 : 1 - (double)Failed / Checked;
}

/// <summary>A dataset's scorecard: pass rate per dimension and per rule, and the weighted score (0-100).</summary>
public sealed record DatasetScorecard(
    string Dataset, string Unit, long Rows, double Score, IReadOnlyDictionary<QualityDimension, double> Dimensions, IReadOnlyList<RuleScore> Rules);

/// <summary>A unit's scorecard: the row-weighted score of the datasets it owns.</summary>
public sealed record UnitScorecard(string Unit, IReadOnlyList<string> Datasets, long Rows, double Score, long FailingRecords);

/// <summary>
/// A rectification task (整改任务) for the owning unit: one per (unit, dataset, rule, field) that failed, with the number
/// of failing records and a few of their keys; every failing record is in the run's findings.
/// </summary>
public sealed record RectificationTask(
    string RunId, string Unit, string Dataset, string Field, string Rule, QualityDimension Dimension, long FailingCount, IReadOnlyList<string> SampleKeys);

/// <summary>The outcome of one quality run over the lake's datasets.</summary>
public sealed record QualityRun(
    string RunId,
    DateTimeOffset StartedAt,
    DateOnly AsOf,
    TimeSpan Duration,
    long Findings,
    IReadOnlyList<DatasetScorecard> Datasets,
    IReadOnlyList<UnitScorecard> Units,
    IReadOnlyList<RectificationTask> Tasks,
    IReadOnlyList<string> Skipped);

/// <summary>
/// What a run looks at: the view of each dataset (dataset code → DuckDB view or table), the as-of date against which
/// dates are judged, and for timeliness the time each dataset's current version was loaded.
/// </summary>
public sealed record QualityRunRequest(
    IReadOnlyDictionary<string, string> Views,
    DateOnly AsOf,
    IReadOnlyDictionary<string, DateTimeOffset>? LastUpdated = null);
