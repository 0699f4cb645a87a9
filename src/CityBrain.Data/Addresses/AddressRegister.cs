using System.Globalization;

namespace CityBrain.Data.Addresses;

/// <summary>One address of the register: its ID, levels, coordinates and the full standard text.</summary>
internal sealed record StandardAddress(
    string Id,
    string DistrictCode,
    string StreetCode,
    string Road,
    string Number,
    string Building,
    string Unit,
    string Room,
    double Longitude,
    double Latitude,
    string Standard);

/// <summary>A road in one street.</summary>
internal readonly record struct StreetRoad(string StreetCode, string Road);

/// <summary>Every level of an address below the street; an empty level is "" (the register's empty column).</summary>
internal readonly record struct AddressKey(StreetRoad Road, string Number, string Building, string Unit, string Room);

/// <summary>
/// The city's standard addresses (the data bureau's own register; the demo city's truth/addresses.csv has its shape:
/// address_id, district_code, street_code, road, number, building, unit, room, lon, lat, standard), indexed by street, road
/// and house number, with every road name also under each of its one-character-wildcard forms to find typos.
/// </summary>
internal sealed class AddressRegister
{
    private static readonly string[] RequiredColumns = ["address_id", "district_code", "street_code", "road", "number", "building", "unit", "room", "lon", "lat", "standard"];

    private readonly Dictionary<AddressKey, StandardAddress> _byKey = [];
    private readonly Dictionary<StreetRoad, Dictionary<string, List<StandardAddress>>> _byRoad = [];
    private readonly Dictionary<string, List<StreetRoad>> _roadsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<StreetRoad>> _roadsByWildcard = new(StringComparer.Ordinal);

    public static AddressRegister Empty { get; } = new();

    public int Count { get; private set; }

    /// <summary>Reads a register CSV (RFC 4180, header row); a malformed row stops the load with its line number and column.</summary>
    public static AddressRegister Read(TextReader reader)
    {
        var header = reader.ReadLine() ?? throw new InvalidDataException("The address register is empty: expected a header row with " + string.Join(",", RequiredColumns) + ".");
        var columns = CsvLine.Split(header.TrimStart('\uFEFF'), 1);
        var index = new int[RequiredColumns.Length];
        for (var i = 0; i < RequiredColumns.Length; i++)
        {
            index[i] = columns.IndexOf(RequiredColumns[i]);
            if (index[i] < 0)
            {
                throw new InvalidDataException($"The address register has no column '{RequiredColumns[i]}' (line 1 has: {header}).");
            }
        }

        var register = new AddressRegister();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }
            var fields = CsvLine.Split(line, lineNumber);
            if (fields.Count < columns.Count)
            {
                throw new InvalidDataException($"The address register's line {lineNumber} has {fields.Count} fields, the header {columns.Count}.");
            }
            string Field(int column) => fields[index[column]];
            double Coordinate(int column) => double.TryParse(Field(column), NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new InvalidDataException($"The address register's line {lineNumber}: '{RequiredColumns[column]}' is not a number ('{Field(column)}').");

            var id = Field(0);
            if (id.Length == 0 || !ids.Add(id))
            {
                throw new InvalidDataException($"The address register's line {lineNumber}: address_id '{id}' is {(id.Length == 0 ? "empty" : "used twice")}.");
            }
            if (Field(3).Length == 0 || Field(4).Length == 0 || Field(2).Length == 0)
            {
                throw new InvalidDataException($"The address register's line {lineNumber}: street_code, road and number are required.");
            }
            register.Add(new StandardAddress(id, Field(1), Field(2), Field(3), Level(Field(4)), Level(Field(5)), Level(Field(6)), Level(Field(7)),
                Coordinate(8), Coordinate(9), Field(10)));
        }
        return register;
    }

    /// <summary>Roads named exactly so, in any street.</summary>
    public IReadOnlyList<StreetRoad> RoadsNamed(string name) => _roadsByName.GetValueOrDefault(name) ?? [];

    /// <summary>Roads whose name differs from <paramref name="name"/> in exactly one character (紫侨路 for 紫桥路).</summary>
    public IEnumerable<StreetRoad> RoadsOneCharacterFrom(string name)
    {
        var seen = new HashSet<StreetRoad>();
        for (var i = 0; i < name.Length; i++)
        {
            foreach (var road in _roadsByWildcard.GetValueOrDefault(Wildcard(name, i)) ?? [])
            {
                if (road.Road != name && seen.Add(road))
                {
                    yield return road;
                }
            }
        }
    }

    /// <summary>The address with exactly these levels, or null.</summary>
    public StandardAddress? Exactly(AddressKey key) => _byKey.GetValueOrDefault(key);

    /// <summary>The addresses with this house number on this road (a big estate's number may hold thousands).</summary>
    public IReadOnlyList<StandardAddress> At(StreetRoad road, string number) =>
        _byRoad.TryGetValue(road, out var numbers) && numbers.TryGetValue(number, out var addresses) ? addresses : [];

    /// <summary>Leading zeros carry no meaning in a level (0501室 is 501室).</summary>
    public static string Level(string value)
    {
        var trimmed = value.Trim().TrimStart('0');
        return trimmed.Length == 0 && value.Length > 0 ? "0" : trimmed;
    }

    private void Add(StandardAddress address)
    {
        var key = new StreetRoad(address.StreetCode, address.Road);
        if (!_byRoad.TryGetValue(key, out var numbers))
        {
            _byRoad[key] = numbers = new Dictionary<string, List<StandardAddress>>(StringComparer.Ordinal);
            Index(_roadsByName, address.Road, key);
            for (var i = 0; i < address.Road.Length; i++)
            {
                Index(_roadsByWildcard, Wildcard(address.Road, i), key);
            }
        }
        if (!numbers.TryGetValue(address.Number, out var addresses))
        {
            numbers[address.Number] = addresses = [];
        }
        addresses.Add(address);
        if (!_byKey.TryAdd(new AddressKey(key, address.Number, address.Building, address.Unit, address.Room), address))
        {
            throw new InvalidDataException($"The address register holds {address.Id} twice: same street, road and levels as {_byKey[new AddressKey(key, address.Number, address.Building, address.Unit, address.Room)].Id}.");
        }
        Count++;
    }

    private static void Index(Dictionary<string, List<StreetRoad>> index, string name, StreetRoad road)
    {
        if (!index.TryGetValue(name, out var roads))
        {
            index[name] = roads = [];
        }
        roads.Add(road);
    }

    private static string Wildcard(string name, int position) => string.Create(name.Length, (name, position), static (span, state) =>
    {
        state.name.AsSpan().CopyTo(span);
        span[state.position] = '\u0001';
    });
}

/// <summary>One RFC 4180 line: fields separated by commas, a quoted field may hold commas and doubled quotes.</summary>
internal static class CsvLine
{
    public static List<string> Split(string line, int lineNumber)
    {
        if (!line.Contains('"'))
        {
            return [.. line.Split(',')]; // the common case, without a character-by-character pass
        }
        var fields = new List<string>(16);
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c != '"')
                {
                    field.Append(c);
                }
                else if (i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else
                {
                    quoted = false;
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }
        if (quoted)
        {
            throw new InvalidDataException($"Line {lineNumber}: a quoted field is not closed.");
        }
        fields.Add(field.ToString());
        return fields;
    }
}
