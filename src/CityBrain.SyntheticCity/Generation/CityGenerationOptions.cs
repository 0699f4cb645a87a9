using CityBrain.Kernel.Errors;

namespace CityBrain.SyntheticCity.Generation;

/// <summary>What to generate. The same options (seed, residents, dates, rates) give byte-identical output.</summary>
public sealed class CityGenerationOptions
{
    public const int MaxResidents = 20_000_000;

    /// <summary>The demo city's size, what `serve` generates on first start.</summary>
    public const int DefaultResidents = 100_000;

    public const long DefaultSeed = 20_210_101;

    /// <summary>Residents to generate, 1 to 20,000,000 (Hangzhou has about 12.2 million).</summary>
    public int Residents { get; set; } = DefaultResidents;

    public long Seed { get; set; } = DefaultSeed;

    /// <summary>The folder to write; it must not exist or be empty.</summary>
    public string OutputDirectory { get; set; } = "";

    /// <summary>The city's "today": ages, deaths and activity windows are measured from this date (default 2025-12-31).</summary>
    public DateOnly AsOf { get; set; } = new(2025, 12, 31);

    /// <summary>Days of swipes, parking sessions and hotline requests before <see cref="AsOf"/> (default 30).</summary>
    public int ActivityDays { get; set; } = 30;

    /// <summary>Planted medical-insurance fraud rings; default one per 20,000 residents, at least 2.</summary>
    public int? FraudRings { get; set; }

    /// <summary>
    /// Share of local-hukou households whose registration moved out of Hangzhou (迁出) in the two years before
    /// <see cref="AsOf"/> (default 1.2 %, about 0.7 % of residents).
    /// </summary>
    public double MovedOutShare { get; set; } = 0.012;

    /// <summary>
    /// Share of households that moved out which civil affairs (mzj) still lists: their 低保 still active, their disability
    /// certificate not yet transferred (default 25 %). Recorded in truth/moved_out.csv, column still_listed_by.
    /// </summary>
    public double MovedOutLag { get; set; } = 0.25;

    public DirtRates Dirt { get; set; } = new();

    /// <summary>Worker threads (default: processor count). Output does not depend on it.</summary>
    public int? Parallelism { get; set; }

    internal int FraudRingCount => FraudRings ?? Math.Max(2, Residents / 20_000);

    /// <summary>Throws <see cref="ValidationFailedException"/> naming every impossible parameter.</summary>
    public void Validate()
    {
        var errors = new Dictionary<string, string[]>();
        if (Residents <= 0 || Residents > MaxResidents)
        {
            errors["residents"] = [$"must be between 1 and {MaxResidents:N0} (Hangzhou has about 12,200,000); got {Residents:N0}"];
        }
        if (string.IsNullOrWhiteSpace(OutputDirectory))
        {
            errors["out"] = ["an output folder is required"];
        }
        else if (File.Exists(OutputDirectory))
        {
            errors["out"] = [$"'{OutputDirectory}' is a file, not a folder"];
        }
        else if (Directory.Exists(OutputDirectory) && Directory.EnumerateFileSystemEntries(OutputDirectory).Any())
        {
            errors["out"] = [$"'{OutputDirectory}' is not empty; choose a new or empty folder so no earlier city is overwritten"];
        }
        if (ActivityDays is < 1 or > 366)
        {
            errors["activityDays"] = [$"must be between 1 and 366; got {ActivityDays}"];
        }
        if (MovedOutShare is < 0 or > 1 || double.IsNaN(MovedOutShare))
        {
            errors["movedOutShare"] = [$"is a share of households, from 0 to 1; got {MovedOutShare}"];
        }
        if (MovedOutLag is < 0 or > 1 || double.IsNaN(MovedOutLag))
        {
            errors["movedOutLag"] = [$"is a share of the households that moved out, from 0 to 1; got {MovedOutLag}"];
        }
        if (AsOf.Year is < 2022 or > 2100)
        {
            errors["asOf"] = [$"must be a date from 2022 (after the 2021 re-division) to 2100; got {AsOf:yyyy-MM-dd}"];
        }
        if (FraudRings is < 0 || FraudRings > Math.Max(1, Residents / 50))
        {
            errors["fraudRings"] = [$"must be between 0 and one per 50 residents ({Math.Max(1, Residents / 50)}); got {FraudRings}"];
        }
        if (Parallelism is < 1 or > 256)
        {
            errors["parallelism"] = [$"must be between 1 and 256; got {Parallelism}"];
        }
        foreach (var (name, rate) in Dirt.All())
        {
            if (double.IsNaN(rate) || rate is < 0 or > 0.2)
            {
                errors[$"dirt.{name}"] = [$"a rate between 0 and 0.2 (20 %); got {rate}"];
            }
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
    }
}

/// <summary>
/// Rates at which faults are planted in the department files. Each department record gets at most one
/// fault; each is recorded in truth/dirt.csv.
/// </summary>
public sealed class DirtRates
{
    /// <summary>A resident ID or credit code with a wrong check character (per record that carries one). Default 0.5 %.</summary>
    public double BadCheckDigit { get; set; } = 0.005;

    /// <summary>Share of the dead who still appear alive in one department. Default 5 %.</summary>
    public double StaleDeath { get; set; } = 0.05;

    /// <summary>A person's district differs from the truth in one department's record. Default 0.5 %.</summary>
    public double DistrictMismatch { get; set; } = 0.005;

    /// <summary>A record written twice. Default 0.5 %.</summary>
    public double Duplicate { get; set; } = 0.005;

    /// <summary>A field left empty. Default 0.5 %.</summary>
    public double MissingField { get; set; } = 0.005;

    /// <summary>A value that cannot be (future birth date, negative amount, exit before entry ...). Default 0.5 %.</summary>
    public double ImpossibleValue { get; set; } = 0.005;

    /// <summary>An address written another way (abbreviation, old district name, missing part, full-width digits, typo). Default 5 %.</summary>
    public double AddressVariant { get; set; } = 0.05;

    internal IEnumerable<(string Name, double Rate)> All() =>
    [
        ("badCheckDigit", BadCheckDigit), ("staleDeath", StaleDeath), ("districtMismatch", DistrictMismatch),
        ("duplicate", Duplicate), ("missingField", MissingField), ("impossibleValue", ImpossibleValue), ("addressVariant", AddressVariant),
    ];
}

/// <summary>Where generation is: a stage name and how far through it.</summary>
public sealed record GenerationProgress(string Stage, long Done, long Total);

/// <summary>What was written.</summary>
public sealed record CityGenerationResult(string OutputDirectory, IReadOnlyDictionary<string, long> Rows, IReadOnlyDictionary<string, string> Sha256);
