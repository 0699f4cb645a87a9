namespace CityBrain.Data.Quality;

/// <summary>Quality and classification settings, bound from the <c>Data:Quality</c> configuration section.</summary>
public sealed class QualityOptions
{
    public const string Section = "Data:Quality";

    /// <summary>
    /// The lake's DuckDB database file, where each dataset is a view named by its code ('.' → '_') and where the
    /// quality and classification tables are kept. Default: <c>lake.duckdb</c> in the working directory.
    /// </summary>
    public string LakePath { get; set; } = "lake.duckdb";

    /// <summary>Rule files a city adds to the embedded demo-city rules (a dataset declared again replaces the embedded one).</summary>
    public List<string> RuleFiles { get; set; } = [];
}
