using System.Globalization;
using System.Text;
using System.Text.Json;
using CityBrain.Kernel.Identifiers;

namespace CityBrain.SyntheticCity.Generation;

internal struct EnterprisePlan
{
    public float Weight;
    public int Community;
    public int Ordinal;
    public int Established;
    public byte Industry;
    public byte Status;
}

internal struct InstitutionPlan
{
    public int Community;
    public int Ordinal;
    public byte Kind;
}

/// <summary>
/// One generation run. Passes: household plans (sequential, cheap) → resident cores (parallel; counts per
/// employer) → ID sequence numbers (sequential) → enterprises and institutions → residents and their
/// activity (parallel blocks written in order). Every entity draws from its own keyed stream.
/// </summary>
internal sealed partial class CityBuild
{
    private const int BlockHouseholds = 2048;
    private const string IdCheckAlphabet = "0123456789X";
    private const string CreditAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    private const byte FlagDead = 1, FlagInsured = 2, FlagMale = 4;

    private static readonly string[] InstitutionKinds = ["hospital", "clinic", "pharmacy"];

    private readonly CityGenerationOptions _options;
    private readonly long _seed;
    private readonly int _residents;
    private readonly IProgress<GenerationProgress>? _progress;
    private readonly CancellationToken _cancellationToken;
    private readonly Gazetteer _gazetteer;
    private readonly BirthDivisions _divisions;
    private readonly NamePools _names = new();
    private readonly DirtPlanter _dirt;
    private readonly ParallelOptions _parallel;
    private readonly int _windowStart;
    private readonly int _asOf;

    private Population _population = null!;
    private HouseholdPlan[] _plans = [];
    private int _households;
    private int _vehicles;

    private int[] _birthDay = [];
    private short[] _birthDivision = [];
    private ushort[] _seq = [];
    private byte[] _flags = [];

    private EnterprisePlan[] _enterprises = [];
    private string[] _uscc = [];
    private int[] _employees = [];
    private int[] _insuredEmployees = [];
    private long[] _insuredWages = [];

    private InstitutionPlan[] _institutions = [];
    private string[] _institutionCodes = [];
    private string[] _institutionNames = [];
    private int[][][] _institutionsByDistrict = [];
    private string[][] _lotsByDistrict = [];

    private readonly Dictionary<int, List<(int Ring, int Member)>> _ringMembers = [];
    private readonly List<FraudRing> _rings = [];

    private sealed record FraudRing(int Id, int[] Institutions, (long Time, int Institution)[] Sessions, List<int> Members);

    public CityBuild(CityGenerationOptions options, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        _options = options;
        _seed = options.Seed;
        _residents = options.Residents;
        _progress = progress;
        _cancellationToken = cancellationToken;
        _gazetteer = Gazetteer.Create(_seed);
        _divisions = new BirthDivisions(_gazetteer);
        _dirt = new DirtPlanter(_seed, options.Dirt);
        _parallel = new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism ?? Environment.ProcessorCount, CancellationToken = cancellationToken };
        _asOf = options.AsOf.DayNumber;
        _windowStart = _asOf - options.ActivityDays + 1;
    }

    public CityGenerationResult Run()
    {
        var directory = _options.OutputDirectory;
        PlanEnterprises();
        _population = new Population(_seed, _options.AsOf, _gazetteer, _divisions,
            new Weighted<int>(Enumerable.Range(0, _enterprises.Length).Select(e => (e, (double)_enterprises[e].Weight)).ToList()));
        PlanHouseholds();
        DrawCores();
        NumberResidentIds();
        PlanInstitutions();
        PlanFraudRings();

        Directory.CreateDirectory(directory);
        using var writer = new CityWriter(directory);
        var block = new BlockBuffers();
        WriteGeography(block);
        writer.Append(block);
        block.Clear();
        WriteEnterprises(writer);
        WriteInstitutions(block);
        writer.Append(block);
        WriteResidents(writer);
        block.Clear();
        WriteFraudRings(block);
        writer.Append(block);
        var rows = Enum.GetValues<CityFile>().ToDictionary(f => CityFiles.Path(f), f => writer.Rows(f));
        var hashes = writer.Finish().ToDictionary(h => CityFiles.Path(h.Key), h => h.Value);
        WriteManifest(directory, rows, hashes);
        Report("Done", 1, 1);
        return new CityGenerationResult(directory, rows, hashes);
    }

    private void Report(string stage, long done, long total) => _progress?.Report(new GenerationProgress(stage, done, total));

    // ---- plans -------------------------------------------------------------------------------

    private void PlanEnterprises()
    {
        var count = Math.Max(5, _residents / 15);
        _enterprises = new EnterprisePlan[count];
        _uscc = new string[count];
        var business = new Weighted<District>(_gazetteer.Districts.Select(d => (d, d.Population * d.Code switch
        {
            "330108" => 3.0, "330106" or "330102" => 1.6, "330110" => 1.8, "330105" => 1.3, _ => 1.0,
        })).ToList());
        var counters = new int[_gazetteer.Communities.Count];
        var orgOffset = (long)(Rng.For(_seed, RngStream.Enterprise, -1).NextULong() % 100_000_000UL);
        for (var e = 0; e < count; e++)
        {
            var rng = Rng.For(_seed, RngStream.Enterprise, e);
            var district = business.Pick(ref rng);
            var community = district.Communities[rng.Next(district.Communities.Count)];
            var status = rng.NextDouble() switch { < 0.95 => (byte)0, < 0.98 => (byte)1, _ => (byte)2 };
            // Heavy-tailed sizes (Pareto): most enterprises are micro, a few employ thousands.
            var weight = Math.Min(30_000, 2 * Math.Pow(1 - rng.NextDouble(), -1 / 1.1));
            _enterprises[e] = new EnterprisePlan
            {
                Community = community,
                Ordinal = counters[community]++,
                Industry = (byte)NamePools.IndustryTable.PickIndex(ref rng),
                Status = status,
                Weight = status == 0 ? (float)weight : 0,
                Established = _asOf - (int)Math.Min(35 * 365, rng.LogNormal(6 * 365, 0.8)),
            };
            // Organisation code: a bijection of the index (unique), then its GB 11714 check, then the GB 32100 check.
            var body = ((e + 1L) * 48_271 + orgOffset) % 100_000_000;
            var org = body.ToString("D8", CultureInfo.InvariantCulture);
            var code = "91" + _gazetteer.Communities[community].Street.District.Code + org + OrganisationCheck(org);
            _uscc[e] = code + UnifiedSocialCreditCode.ComputeCheckCharacter(code);
        }
    }

    private static char OrganisationCheck(string body)
    {
        ReadOnlySpan<int> weights = [3, 7, 9, 10, 5, 8, 4, 2];
        var sum = 0;
        for (var i = 0; i < 8; i++)
        {
            sum += (body[i] - '0') * weights[i];
        }
        var c = 11 - sum % 11;
        return c == 10 ? 'X' : c == 11 ? '0' : (char)('0' + c);
    }

    private void PlanHouseholds()
    {
        Report("Planning households", 0, _residents);
        var plans = new List<HouseholdPlan>(_residents / 2 + 16);
        var counters = new int[_gazetteer.Communities.Count];
        var residents = 0;
        var vehicles = 0;
        for (var h = 0; residents < _residents; h++)
        {
            var plan = _population.DrawPlan(h, counters);
            plan.Size = (byte)Math.Min(plan.Size, _residents - residents);
            plan.FirstResident = residents;
            plan.FirstVehicle = vehicles;
            residents += plan.Size;
            vehicles += plan.Vehicles;
            plans.Add(plan);
        }
        _plans = plans.ToArray();
        _households = _plans.Length;
        _vehicles = vehicles;
        if (_vehicles >= Plates.Capacity)
        {
            throw new InvalidOperationException($"{_vehicles:N0} vehicles exceed the plate space of {Plates.Capacity:N0}");
        }
    }

    private int HouseholdOf(int resident)
    {
        int lo = 0, hi = _households - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (_plans[mid].FirstResident <= resident)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return lo;
    }

    private int Blocks => (_households + BlockHouseholds - 1) / BlockHouseholds;

    private void DrawCores()
    {
        Report("Drawing residents", 0, _residents);
        _birthDay = new int[_residents];
        _birthDivision = new short[_residents];
        _flags = new byte[_residents];
        _employees = new int[_enterprises.Length];
        _insuredEmployees = new int[_enterprises.Length];
        _insuredWages = new long[_enterprises.Length];
        long done = 0;
        Parallel.For(0, Blocks, _parallel, b =>
        {
            Span<Member> members = stackalloc Member[8];
            var end = Math.Min(_households, (b + 1) * BlockHouseholds);
            for (var h = b * BlockHouseholds; h < end; h++)
            {
                ref readonly var plan = ref _plans[h];
                var n = _population.DrawMembers(h, plan, members);
                for (var m = 0; m < n; m++)
                {
                    var i = plan.FirstResident + m;
                    var core = _population.DrawCore(i, plan, members[m]);
                    _birthDay[i] = core.BirthDay;
                    _birthDivision[i] = core.BirthDivision;
                    _flags[i] = (byte)((core.Dead ? FlagDead : 0) | (core.Medical != MedicalInsurance.None ? FlagInsured : 0) | (core.Male ? FlagMale : 0));
                    if (core.Employer >= 0)
                    {
                        Interlocked.Increment(ref _employees[core.Employer]);
                        if (core.InsuredEmployee)
                        {
                            Interlocked.Increment(ref _insuredEmployees[core.Employer]);
                            Interlocked.Add(ref _insuredWages[core.Employer], core.Wage);
                        }
                    }
                }
            }
            Report("Drawing residents", Interlocked.Add(ref done, end - b * BlockHouseholds), _households);
        });
    }

    /// <summary>
    /// Sequence numbers make IDs unique: the k-th person with the same birthplace, birth date and sex gets
    /// the k-th number of the right parity (odd men, even women). Past 500, the birth date moves a day.
    /// </summary>
    private void NumberResidentIds()
    {
        Report("Numbering resident IDs", 0, _residents);
        _seq = new ushort[_residents];
        var minDay = _options.AsOf.AddYears(-101).DayNumber;
        var days = _asOf - minDay + 2;
        var counts = new ushort[(long)_divisions.Codes.Count * days * 2];
        for (var i = 0; i < _residents; i++)
        {
            var male = (_flags[i] & FlagMale) != 0;
            while (true)
            {
                var key = ((long)_birthDivision[i] * days + (_birthDay[i] - minDay)) * 2 + (male ? 1 : 0);
                var k = counts[key];
                if (k < 500)
                {
                    counts[key] = (ushort)(k + 1);
                    var offset = 2 * (_birthDivision[i] * 37 % 50) + 2;
                    _seq[i] = (ushort)((offset + 2 * k + (male ? 1 : 0)) % 1000);
                    break;
                }
                _birthDay[i] = _birthDay[i] > minDay ? _birthDay[i] - 1 : _birthDay[i] + 1;
            }
        }
    }

    private string IdOf(int resident)
    {
        Span<char> id = stackalloc char[18];
        _divisions.Codes[_birthDivision[resident]].AsSpan().CopyTo(id);
        DateOnly.FromDayNumber(_birthDay[resident]).TryFormat(id[6..], out _, "yyyyMMdd", CultureInfo.InvariantCulture);
        var seq = _seq[resident];
        id[14] = (char)('0' + seq / 100);
        id[15] = (char)('0' + seq / 10 % 10);
        id[16] = (char)('0' + seq % 10);
        id[17] = ResidentId.ComputeCheckCharacter(id[..17]);
        return new string(id);
    }

    private int AgeOf(int resident) => Age(_birthDay[resident], _asOf);

    private static int Age(int birthDay, int onDay)
    {
        var birth = DateOnly.FromDayNumber(birthDay);
        var on = DateOnly.FromDayNumber(onDay);
        var age = on.Year - birth.Year;
        return on < birth.AddYears(age) ? age - 1 : age;
    }

    private void PlanInstitutions()
    {
        var count = Math.Max(_gazetteer.Districts.Count + 12, _residents / 1500);
        _institutions = new InstitutionPlan[count];
        _institutionCodes = new string[count];
        _institutionNames = new string[count];
        var counters = new int[_gazetteer.Communities.Count];
        var byDistrict = _gazetteer.Districts.Select(_ => new[] { new List<int>(), new List<int>(), new List<int>() }).ToArray();
        for (var k = 0; k < count; k++)
        {
            var rng = Rng.For(_seed, RngStream.Institution, k);
            // Each district has at least its people's hospital; then hospitals 8 %, clinics 40 %, pharmacies 52 %.
            var districtIndex = k < _gazetteer.Districts.Count ? k : _gazetteer.Districts.IndexOf(_gazetteer.DistrictByPopulation.Pick(ref rng));
            var district = _gazetteer.Districts[districtIndex];
            var kind = k < _gazetteer.Districts.Count ? (byte)0 : rng.NextDouble() switch { < 0.08 => (byte)0, < 0.48 => (byte)1, _ => (byte)2 };
            var community = district.Communities[rng.Next(district.Communities.Count)];
            _institutions[k] = new InstitutionPlan { Community = community, Ordinal = counters[community]++, Kind = kind };
            _institutionCodes[k] = (kind == 2 ? "P" : "H") + district.Code + (k + 1).ToString("D5", CultureInfo.InvariantCulture);
            var c = _gazetteer.Communities[community];
            var shortDistrict = district.Name[..^1];
            _institutionNames[k] = kind switch
            {
                // 杭州市西湖区第一人民医院, but 建德市第一人民医院 (a county-level city or county names itself).
                0 when k < _gazetteer.Districts.Count => (district.Name.EndsWith('区') ? "杭州市" : "") + district.Name + "第一人民医院",
                0 => $"杭州{shortDistrict}{_names.Brand(ref rng)}医院",
                1 when rng.Chance(0.5) => c.Street.IsTown ? c.Name + "卫生室" : c.Name.Replace("社区", "社区卫生服务站", StringComparison.Ordinal),
                1 => $"{_names.Brand(ref rng)}诊所",
                _ => $"{_names.Brand(ref rng)}大药房({c.Roads[0]}店)",
            };
            byDistrict[districtIndex][kind].Add(k);
        }
        _institutionsByDistrict = byDistrict.Select(d => d.Select(l => l.ToArray()).ToArray()).ToArray();

        var lots = Math.Max(_gazetteer.Districts.Count, _residents / 4000);
        var lotLists = _gazetteer.Districts.Select(_ => new List<string>()).ToArray();
        for (var l = 0; l < lots; l++)
        {
            var rng = Rng.For(_seed, RngStream.Institution, 100_000_000 + l);
            var d = l < _gazetteer.Districts.Count ? l : _gazetteer.Districts.IndexOf(_gazetteer.DistrictByPopulation.Pick(ref rng));
            lotLists[d].Add("L" + _gazetteer.Districts[d].Code + (l + 1).ToString("D5", CultureInfo.InvariantCulture));
        }
        _lotsByDistrict = lotLists.Select(l => l.ToArray()).ToArray();
    }

    /// <summary>An institution of the kind in the district, else of the kind anywhere, else any.</summary>
    private int PickInstitution(int district, byte kind, ref Rng rng)
    {
        var local = _institutionsByDistrict[district][kind];
        if (local.Length > 0)
        {
            return local[rng.Next(local.Length)];
        }
        for (var d = 0; d < _institutionsByDistrict.Length; d++)
        {
            var list = _institutionsByDistrict[(district + d) % _institutionsByDistrict.Length][kind];
            if (list.Length > 0)
            {
                return list[rng.Next(list.Length)];
            }
        }
        return rng.Next(_institutions.Length);
    }

    /// <summary>
    /// Rings of 5-12 living insured adults, still living in the city, who swipe at the same one or two clinics or pharmacies within
    /// minutes of each other, several times in the activity window.
    /// </summary>
    private void PlanFraudRings()
    {
        var taken = new HashSet<int>();
        for (var r = 0; r < _options.FraudRingCount; r++)
        {
            var rng = Rng.For(_seed, RngStream.Fraud, r);
            var district = _gazetteer.Districts.IndexOf(_gazetteer.DistrictByPopulation.Pick(ref rng));
            var institutions = Enumerable.Range(0, rng.Next(1, 3)).Select(_ => PickInstitution(district, (byte)rng.Next(1, 3), ref rng)).Distinct().ToArray();
            var sessions = new (long, int)[rng.Next(4, 9)];
            for (var s = 0; s < sessions.Length; s++)
            {
                var day = _windowStart + rng.Next(_options.ActivityDays);
                sessions[s] = ((long)day * 86_400 + rng.Next(8 * 3600, 19 * 3600), institutions[s % institutions.Length]);
            }
            var size = rng.Next(5, 13);
            var members = new List<int>();
            for (var attempt = 0; attempt < size * 50 && members.Count < size; attempt++)
            {
                var candidate = rng.Next(_residents);
                if ((_flags[candidate] & (FlagDead | FlagInsured)) == FlagInsured && AgeOf(candidate) >= 18
                    && MoveOutOf(HouseholdOf(candidate)).Day < 0 && taken.Add(candidate))
                {
                    members.Add(candidate);
                }
            }
            if (members.Count < 2)
            {
                continue;
            }
            members.Sort();
            var ring = new FraudRing(r + 1, institutions, sessions, members);
            _rings.Add(ring);
            for (var m = 0; m < members.Count; m++)
            {
                if (!_ringMembers.TryGetValue(members[m], out var list))
                {
                    _ringMembers[members[m]] = list = [];
                }
                list.Add((_rings.Count - 1, m));
            }
        }
    }

    // ---- output ------------------------------------------------------------------------------

    private void WriteGeography(BlockBuffers block)
    {
        var divisions = block[CityFile.Divisions];
        divisions.Field("3301").Field("杭州市").Field("city").Field("33").EndRow();
        foreach (var district in _gazetteer.Districts)
        {
            divisions.Field(district.Code).Field(district.Name).Field("district").Field("3301").EndRow();
        }
        foreach (var district in _gazetteer.Districts)
        {
            foreach (var street in district.Streets)
            {
                divisions.Field(street.Code).Field(street.Name).Field("street").Field(district.Code).EndRow();
            }
        }
        foreach (var c in _gazetteer.Communities)
        {
            block[CityFile.Communities].Field(c.Code).Field(c.Name).Field(c.Street.Code).Coordinate(c.Lon).Coordinate(c.Lat).EndRow();
        }
    }

    private void WriteFraudRings(BlockBuffers block)
    {
        foreach (var ring in _rings)
        {
            foreach (var member in ring.Members)
            {
                foreach (var institution in ring.Institutions)
                {
                    block[CityFile.FraudRings].Field(ring.Id).Field(IdOf(member)).Field(_institutionCodes[institution]).EndRow();
                }
            }
        }
    }

    private void WriteManifest(string directory, Dictionary<string, long> rows, Dictionary<string, string> hashes)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("generator", "CityBrain.SyntheticCity");
            json.WriteString("version", CityGenerator.Version);
            json.WriteNumber("seed", _seed);
            json.WriteNumber("residents", _residents);
            json.WriteString("asOf", _options.AsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            json.WriteNumber("activityDays", _options.ActivityDays);
            json.WriteNumber("movedOutShare", _options.MovedOutShare);
            json.WriteNumber("movedOutLag", _options.MovedOutLag);
            json.WriteStartObject("dirtRates");
            foreach (var (name, rate) in _options.Dirt.All())
            {
                json.WriteNumber(name, rate);
            }
            json.WriteEndObject();
            json.WriteStartObject("files");
            foreach (var file in Enum.GetValues<CityFile>())
            {
                var path = CityFiles.Path(file);
                json.WriteStartObject(path);
                json.WriteNumber("rows", rows[path]);
                json.WriteString("sha256", hashes[path]);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        var text = Encoding.UTF8.GetString(stream.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
        File.WriteAllText(Path.Combine(directory, "city.json"), text, new UTF8Encoding(false));
    }

    // ---- formatting helpers -------------------------------------------------------------------

    private static string Date(int day) => DateOnly.FromDayNumber(day).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string CompactDate(int day) => DateOnly.FromDayNumber(day).ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Seconds since day 0 of DateOnly, local time.</summary>
    private static DateTime Local(long seconds) => DateTime.MinValue.AddSeconds(seconds);

    private static string IsoTime(long seconds) => Local(seconds).ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);

    private static string EpochMilliseconds(long seconds) =>
        new DateTimeOffset(Local(seconds), TimeSpan.FromHours(8)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    private static string Yuan(long cents) => (cents / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);
}
