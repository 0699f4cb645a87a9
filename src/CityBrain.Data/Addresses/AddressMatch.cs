namespace CityBrain.Data.Addresses;

/// <summary>
/// What one free-text address resolved to. <see cref="Matched"/> means resolved to the finest level the base holds: a
/// standard address of the register when one is loaded, a street otherwise. An unmatched address keeps whatever levels
/// were certain (its district, its street) and says why in <see cref="Reason"/>.
/// </summary>
public sealed record AddressMatch
{
    /// <summary>The text as given (cut to 256 characters when longer).</summary>
    public required string Input { get; init; }

    /// <summary>The register's address ID, when matched to a standard address.</summary>
    public string? StandardId { get; init; }

    /// <summary>The current district (6-digit GB/T 2260 code), after the 2021 re-division.</summary>
    public string? DivisionCode { get; init; }

    /// <summary>The street or town (9 digits).</summary>
    public string? StreetCode { get; init; }

    /// <summary>The standard text (浙江省杭州市西湖区文新街道文一西路100号3幢2单元501室) when matched.</summary>
    public string? Standard { get; init; }

    /// <summary>In [0, 1]: 1 when every level was named exactly; less for each repaired typo, inferred or missing level.</summary>
    public double Confidence { get; init; }

    public bool Matched { get; init; }

    /// <summary>Why it is not matched (null when matched).</summary>
    public string? Reason { get; init; }

    public double? Longitude { get; init; }

    public double? Latitude { get; init; }
}

/// <summary>A normalised column: one result per input, in input order, and the positions of those left unmatched.</summary>
public sealed record AddressBatch(IReadOnlyList<AddressMatch> Results, IReadOnlyList<int> Unmatched);
