using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace CityBrain.Data.Addresses;

/// <summary>
/// The unified address base (统一地址库): Hangzhou's real districts and streets, optionally the city's register of
/// standard addresses, and the normalisation of free text against them. Safe to share between threads.
/// </summary>
public sealed class AddressBase
{
    /// <summary>Below this a candidate is reported unmatched: a wrong match costs more than a missed one.</summary>
    internal const double MinimumConfidence = 0.6;

    private const double DistrictTypoPenalty = 0.1;
    private const double StreetTypoPenalty = 0.1;
    private const double StreetOutsideNamedDistrictPenalty = 0.2;
    private const double StreetInferredPenalty = 0.05;
    private const double RoadTypoPenalty = 0.15;
    private const double MissingLevelPenalty = 0.1;

    private readonly HangzhouDivisions _divisions;
    private readonly AddressRegister _register;

    private AddressBase(HangzhouDivisions divisions, AddressRegister register)
    {
        _divisions = divisions;
        _register = register;
    }

    /// <summary>The number of standard addresses in the register (0 with divisions only).</summary>
    public int StandardAddressCount => _register.Count;

    /// <summary>Hangzhou's districts and streets only: addresses resolve to street level.</summary>
    public static AddressBase Hangzhou() => new(HangzhouDivisions.Instance, AddressRegister.Empty);

    /// <summary>
    /// Hangzhou's districts and streets with the register of standard addresses (CSV with the columns address_id,
    /// district_code, street_code, road, number, building, unit, room, lon, lat, standard; others are ignored).
    /// </summary>
    /// <exception cref="InvalidDataException">A row is malformed; the message names its line and column.</exception>
    public static AddressBase Hangzhou(TextReader register) => new(HangzhouDivisions.Instance, AddressRegister.Read(register));

    /// <summary>Normalises one free-text address; never throws for bad input (the result says what was wrong).</summary>
    public AddressMatch Normalize(string? input)
    {
        var cleaned = AddressText.Clean(input, out var refusal);
        if (cleaned is null)
        {
            return Unmatched(input, refusal!);
        }
        var parsed = AddressParser.Parse(cleaned, _divisions);

        var penalty = 0.0;
        var street = parsed.Street?.Street;
        if (parsed.Street is { Typo: true })
        {
            penalty += StreetTypoPenalty;
        }
        if (parsed.District is { Typo: true })
        {
            penalty += DistrictTypoPenalty;
        }
        if (parsed.Street is { OutsideDistrict: true })
        {
            penalty += StreetOutsideNamedDistrictPenalty;
        }
        var districtCode = street?.ParentCode ?? parsed.District?.Code;

        if (_register.Count == 0)
        {
            if (street is null)
            {
                return Unmatched(input, parsed.Street is { } unclear
                    ? $"street unclear: {string.Join(" or ", unclear.Candidates.Select(c => c.Name))}"
                    : parsed.District is null
                    ? "no Hangzhou district or street found"
                    : $"street not named (district {parsed.District.Text} only), and no address register is loaded to find the road", districtCode);
            }
            return Result(input, null, street, WrittenStandard(street, parsed), 1 - penalty, null);
        }

        if (parsed.RoadText.Length == 0)
        {
            return Unmatched(input, "no road found", districtCode, street?.Code);
        }
        if (parsed.Number is null)
        {
            return Unmatched(input, $"no house number on {parsed.RoadText}", districtCode, street?.Code);
        }

        var (roads, roadTypo) = FindRoads(parsed.RoadText, parsed.Street?.Candidates, parsed.District?.Scope);
        if (roads.Count == 0)
        {
            return Unmatched(input, $"road {parsed.RoadText} is not in the register{(street is null ? "" : " for " + street.Name)}", districtCode, street?.Code);
        }

        var (best, missingLevels, ties) = BestAddress(roads, parsed);
        if (best is null)
        {
            return Unmatched(input, $"no standard address {parsed.Number}号{Levels(parsed)} on {roads[0].Road}", districtCode, street?.Code);
        }
        if (ties > 1)
        {
            return Unmatched(input, $"ambiguous: {ties} standard addresses fit equally well", districtCode, street?.Code);
        }

        penalty += (roadTypo ? RoadTypoPenalty : 0) + missingLevels * MissingLevelPenalty + (street is null ? StreetInferredPenalty : 0);
        var matchedStreet = _divisions.ByCode.GetValueOrDefault(best.StreetCode);
        return Result(input, best, matchedStreet, best.Standard, 1 - penalty, best.DistrictCode);
    }

    /// <summary>Normalises a column in parallel; results come back in input order.</summary>
    public AddressBatch NormalizeAll(IEnumerable<string?> inputs, CancellationToken cancellationToken)
    {
        var items = inputs as IReadOnlyList<string?> ?? inputs.ToList();
        var results = new AddressMatch[items.Count];
        var options = new ParallelOptions { CancellationToken = cancellationToken };
        Parallel.ForEach(Partitioner.Create(0, items.Count, 2048), options, range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                results[i] = Normalize(items[i]);
            }
        });
        var unmatched = new List<int>();
        for (var i = 0; i < results.Length; i++)
        {
            if (!results[i].Matched)
            {
                unmatched.Add(i);
            }
        }
        return new AddressBatch(results, unmatched);
    }

    /// <summary>
    /// The roads the text names: the longest exact name at its end (a community or shop name may stand before the road),
    /// else one character off, within the street if named (or the streets a misspelt name may be), else within the
    /// district's current scope, else anywhere.
    /// </summary>
    private (List<StreetRoad> Roads, bool Typo) FindRoads(string roadText, IReadOnlyList<Division>? streets, IReadOnlyList<string>? districts)
    {
        bool InScope(StreetRoad road) => streets is not null
            ? streets.Any(s => s.Code == road.StreetCode)
            : districts is null || districts.Contains(road.StreetCode[..Math.Min(6, road.StreetCode.Length)]);

        for (var start = 0; start <= roadText.Length - 2; start++)
        {
            var exact = _register.RoadsNamed(roadText[start..]).Where(InScope).ToList();
            if (exact.Count > 0)
            {
                return (exact, false);
            }
        }
        for (var start = 0; start <= roadText.Length - 3; start++)
        {
            var near = _register.RoadsOneCharacterFrom(roadText[start..]).Where(InScope).ToList();
            if (near.Count > 0)
            {
                return (near, true);
            }
        }
        return ([], false);
    }

    /// <summary>
    /// The standard address on these roads with the house number whose levels agree with every level given; a level the
    /// text leaves out may be anything (counted as missing), a level the text adds that the register lacks rules it out.
    /// </summary>
    private (StandardAddress? Best, int MissingLevels, int Ties) BestAddress(List<StreetRoad> roads, ParsedAddress parsed)
    {
        // Every level as given (a level left out read as "none"): one lookup per road, no scan of a big estate's number.
        StandardAddress? exact = null;
        var exactHits = 0;
        foreach (var road in roads)
        {
            if (_register.Exactly(new AddressKey(road, parsed.Number!, parsed.Building ?? "", parsed.Unit ?? "", parsed.Room ?? "")) is { } hit)
            {
                exact = hit;
                exactHits++;
            }
        }
        if (exact is not null)
        {
            return (exact, 0, exactHits);
        }

        StandardAddress? best = null;
        var bestMissing = int.MaxValue;
        var ties = 0;
        foreach (var road in roads)
        {
            foreach (var address in _register.At(road, parsed.Number!))
            {
                var missing = 0;
                if (!Agrees(parsed.Building, address.Building, ref missing) || !Agrees(parsed.Unit, address.Unit, ref missing) || !Agrees(parsed.Room, address.Room, ref missing))
                {
                    continue;
                }
                if (missing < bestMissing)
                {
                    (best, bestMissing, ties) = (address, missing, 1);
                }
                else if (missing == bestMissing)
                {
                    ties++;
                }
            }
        }
        return (best, bestMissing, ties);
    }

    private static bool Agrees(string? given, string standard, ref int missing)
    {
        if (given is null)
        {
            missing += standard.Length > 0 ? 1 : 0;
            return true;
        }
        return given == standard;
    }

    private static string Levels(ParsedAddress parsed) =>
        (parsed.Building is null ? "" : parsed.Building + "幢") + (parsed.Unit is null ? "" : parsed.Unit + "单元") + (parsed.Room is null ? "" : parsed.Room + "室");

    /// <summary>Without a register the standard form is built from the parsed levels under the street's official names.</summary>
    private string WrittenStandard(Division street, ParsedAddress parsed)
    {
        var text = new StringBuilder(HangzhouDivisions.ProvinceName).Append(HangzhouDivisions.CityName);
        if (_divisions.ByCode.TryGetValue(street.ParentCode, out var district))
        {
            text.Append(district.Name);
        }
        text.Append(street.Name).Append(parsed.RoadText);
        if (parsed.Number is not null)
        {
            text.Append(parsed.Number).Append('号').Append(Levels(parsed));
        }
        return text.ToString();
    }

    private static AddressMatch Result(string? input, StandardAddress? address, Division? street, string standard, double confidence, string? districtCode)
    {
        confidence = Math.Round(Math.Clamp(confidence, 0, 1), 2);
        var divisionCode = districtCode ?? street?.ParentCode;
        if (confidence < MinimumConfidence)
        {
            return Unmatched(input, $"low confidence {confidence.ToString("0.00", CultureInfo.InvariantCulture)} (below {MinimumConfidence.ToString("0.0", CultureInfo.InvariantCulture)}) for {standard}", divisionCode, street?.Code);
        }
        return new AddressMatch
        {
            Input = Echo(input),
            StandardId = address?.Id,
            DivisionCode = divisionCode,
            StreetCode = address?.StreetCode ?? street?.Code,
            Standard = standard,
            Confidence = confidence,
            Matched = true,
            Longitude = address?.Longitude,
            Latitude = address?.Latitude,
        };
    }

    private static AddressMatch Unmatched(string? input, string reason, string? divisionCode = null, string? streetCode = null) => new()
    {
        Input = Echo(input),
        DivisionCode = divisionCode,
        StreetCode = streetCode,
        Reason = reason,
    };

    private static string Echo(string? input)
    {
        if (input is null || input.Length <= AddressText.MaxLength)
        {
            return input ?? "";
        }
        // Never cut a surrogate pair in half: the JSON writer would refuse the lone half.
        var length = char.IsHighSurrogate(input[AddressText.MaxLength - 1]) ? AddressText.MaxLength - 1 : AddressText.MaxLength;
        return input[..length];
    }
}
