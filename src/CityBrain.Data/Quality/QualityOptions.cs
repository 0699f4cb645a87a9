namespace CityBrain.Data.Quality;

/// <summary>
/// Quality and classification settings, bound from the <c>Data:Quality</c> configuration section. They work on the
/// lake (DATA/lake/lake.duckdb), where each dataset is a view named by its code ('.' → '_').
/// </summary>
public sealed class QualityOptions
{
    public const string Section = "Data:Quality";

    /// <summary>Rule files a city adds to the embedded demo-city rules (a dataset declared again replaces the embedded one).</summary>
    public List<string> RuleFiles { get; set; } = [];
}
