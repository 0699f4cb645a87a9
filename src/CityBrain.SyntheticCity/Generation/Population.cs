using System.Globalization;

namespace CityBrain.SyntheticCity.Generation;

internal enum HouseholdKind : byte { Single, Couple, Family, ThreeGenerations, SingleParent }

internal enum Relation : byte { Head, Spouse, Child, Parent }

internal enum Education : byte { None, Primary, Junior, Senior, College, Bachelor, Master, Doctor }

internal enum Employment : byte { Employed, Unemployed, Retired, Student, Preschool, None }

internal enum MedicalInsurance : byte { Employee, Resident, None }

/// <summary>A household's shape and place, drawn in one sequential pass (cheap) so that every later pass can find it.</summary>
internal struct HouseholdPlan
{
    public int FirstResident;
    public int FirstVehicle;
    public int Community;
    public int Ordinal;
    public short Hometown;
    public byte HukouDistrict;
    public HouseholdKind Kind;
    public byte Size;
    public byte Grandparents;
    public byte Vehicles;
    public bool Local;
    public bool Poor;
    public bool Moved;
}

internal struct Member
{
    public int Age;
    public bool Male;
    public Relation Relation;
}

/// <summary>The facts about a resident that other entities depend on; recomputed from the resident's own stream.</summary>
internal struct ResidentCore
{
    public int BirthDay;
    public int DeathDay;
    public short BirthDivision;
    public bool Male;
    public Education Education;
    public Employment Employment;
    public int Employer;
    public bool InsuredEmployee;
    public int Wage;
    public int Pension;
    public int SocialMonths;
    public int UnemploymentMonths;
    public MedicalInsurance Medical;
    public byte DisabilityGrade;
    public byte DisabilityKind;
    public bool Dibao;
    public byte Ethnicity;

    public readonly bool Dead => DeathDay >= 0;
}

/// <summary>Birthplace division codes: Hangzhou's (with codes in use before 2021), other Zhejiang areas, other provinces.</summary>
internal sealed class BirthDivisions
{
    private readonly Dictionary<string, short> _index = new(StringComparer.Ordinal);
    private readonly Weighted<short> _nonlocal;

    public BirthDivisions(Gazetteer gazetteer)
    {
        foreach (var district in gazetteer.Districts)
        {
            Add(district.Code);
        }
        Add("330103");
        Add("330104");
        var weights = new List<(short, double)>();
        foreach (var (code, _) in gazetteer.ZhejiangAreas)
        {
            weights.Add((Add(code), 30.0 / gazetteer.ZhejiangAreas.Count));
        }
        var provinceShare = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["34"] = 22, ["41"] = 9, ["36"] = 8, ["51"] = 5, ["52"] = 5, ["43"] = 4, ["42"] = 4, ["32"] = 4,
            ["37"] = 2, ["53"] = 1.5, ["45"] = 1.5, ["35"] = 1.5,
        };
        string[] counties = ["02", "03", "21", "22", "23", "24"];
        foreach (var (province, _) in gazetteer.Provinces.Where(p => p.Code != "33"))
        {
            var share = provinceShare.GetValueOrDefault(province, 0.3);
            for (var city = 1; city <= 5; city++)
            {
                foreach (var county in counties)
                {
                    var code = province + city.ToString("D2", CultureInfo.InvariantCulture) + county;
                    weights.Add((Add(code), share / 30));
                }
            }
        }
        _nonlocal = new Weighted<short>(weights);
    }

    public List<string> Codes { get; } = [];

    private short Add(string code)
    {
        if (!_index.TryGetValue(code, out var index))
        {
            index = (short)Codes.Count;
            _index[code] = index;
            Codes.Add(code);
        }
        return index;
    }

    public short IndexOf(string code) => _index[code];

    public short PickNonlocal(ref Rng rng) => _nonlocal.Pick(ref rng);
}

/// <summary>Draws households and residents. Distributions and their sources: docs/synthetic-city.md, "Distributions".</summary>
internal sealed class Population
{
    public const double NonlocalShare = 0.45;
    public const int DibaoStandard = 1314;

    private static readonly Weighted<HouseholdKind> LocalKinds = new([
        (HouseholdKind.Single, 18), (HouseholdKind.Couple, 34), (HouseholdKind.Family, 25), (HouseholdKind.ThreeGenerations, 17), (HouseholdKind.SingleParent, 6)]);
    private static readonly Weighted<HouseholdKind> NonlocalKinds = new([
        (HouseholdKind.Single, 45), (HouseholdKind.Couple, 24), (HouseholdKind.Family, 28), (HouseholdKind.ThreeGenerations, 0), (HouseholdKind.SingleParent, 3)]);
    private static readonly Weighted<byte> DisabilityKinds = new([
        ((byte)0, 14), ((byte)1, 18), ((byte)2, 1), ((byte)3, 45), ((byte)4, 7), ((byte)5, 8), ((byte)6, 7)]);
    private static readonly Weighted<byte> Ethnicities = new([
        ((byte)1, 985), ((byte)22, 2.5), ((byte)3, 2), ((byte)15, 2), ((byte)6, 2), ((byte)8, 1.5), ((byte)2, 1.0), ((byte)9, 1.5), ((byte)11, 1.0), ((byte)12, 1.5)]);

    /// <summary>Names of the GB 3304 ethnicity codes drawn above.</summary>
    public static string EthnicityName(byte code) => code switch
    {
        1 => "汉族", 2 => "蒙古族", 3 => "回族", 6 => "苗族", 8 => "壮族", 9 => "布依族", 11 => "满族", 12 => "侗族", 15 => "土家族", 22 => "畲族",
        _ => throw new ArgumentOutOfRangeException(nameof(code)),
    };

    public static readonly string[] DisabilityKindNames = ["visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple"];

    private readonly long _seed;
    private readonly Gazetteer _gazetteer;
    private readonly BirthDivisions _divisions;
    private readonly Weighted<int>? _employers;
    private readonly int _asOf;

    public Population(long seed, DateOnly asOf, Gazetteer gazetteer, BirthDivisions divisions, Weighted<int>? employers)
    {
        _seed = seed;
        _asOf = asOf.DayNumber;
        AsOf = asOf;
        _gazetteer = gazetteer;
        _divisions = divisions;
        _employers = employers;
    }

    public DateOnly AsOf { get; }

    public HouseholdPlan DrawPlan(int household, int[] communityCounters)
    {
        var rng = Rng.For(_seed, RngStream.Household, household);
        var plan = new HouseholdPlan { Local = !rng.Chance(NonlocalShare) };
        plan.Kind = (plan.Local ? LocalKinds : NonlocalKinds).Pick(ref rng);
        plan.Size = plan.Kind switch
        {
            HouseholdKind.Single => 1,
            HouseholdKind.Couple => 2,
            HouseholdKind.Family => (byte)(2 + (rng.Chance(0.66) ? 1 : rng.Chance(0.92) ? 2 : 3)),
            HouseholdKind.ThreeGenerations => (byte)(2 + rng.Next(1, 3)),
            _ => (byte)(1 + rng.Next(1, 3)),
        };
        if (plan.Kind == HouseholdKind.ThreeGenerations)
        {
            plan.Grandparents = (byte)rng.Next(1, 3);
            plan.Size += plan.Grandparents;
        }
        var district = _gazetteer.DistrictByPopulation.Pick(ref rng);
        while (true)
        {
            var community = _gazetteer.Communities[district.Communities[rng.Next(district.Communities.Count)]];
            if (!community.Street.IsTown || rng.Chance(0.5))
            {
                plan.Community = community.Index;
                break;
            }
        }
        plan.Ordinal = communityCounters[plan.Community]++;
        plan.HukouDistrict = (byte)(rng.Chance(0.85) ? _gazetteer.Districts.IndexOf(district) : _gazetteer.Districts.IndexOf(_gazetteer.DistrictByPopulation.Pick(ref rng)));
        plan.Hometown = plan.Local ? (short)-1 : _divisions.PickNonlocal(ref rng);
        plan.Poor = plan.Local && rng.Chance(0.009);
        var carShare = plan.Kind switch
        {
            HouseholdKind.Single => 0.32, HouseholdKind.Couple => 0.62, HouseholdKind.SingleParent => 0.45, _ => 0.78,
        };
        if (!plan.Local)
        {
            carShare *= 0.6;
        }
        plan.Vehicles = plan.Poor || !rng.Chance(carShare) ? (byte)0 : rng.Chance(0.2) ? (byte)2 : (byte)1;
        plan.Moved = rng.Chance(0.06);
        return plan;
    }

    /// <summary>The members of a household, head first; ages consistent with the household's shape.</summary>
    public int DrawMembers(int household, in HouseholdPlan plan, Span<Member> members)
    {
        var rng = Rng.For(_seed, RngStream.Members, household);
        var count = 0;
        int headAge;
        bool headMale;
        switch (plan.Kind)
        {
            case HouseholdKind.Single:
                if (plan.Local)
                {
                    var u = rng.NextDouble();
                    headAge = u < 0.28 ? rng.Next(20, 36) : u < 0.45 ? rng.Next(36, 60) : Elderly(ref rng);
                }
                else
                {
                    headAge = rng.Chance(0.7) ? rng.Next(18, 36) : rng.Next(36, 58);
                }
                headMale = headAge >= 65 ? rng.Chance(0.4) : rng.Chance(0.58);
                break;
            case HouseholdKind.Couple:
                headAge = plan.Local ? (rng.Chance(0.25) ? rng.Next(24, 36) : rng.Chance(0.68) ? Elderly(ref rng) : rng.Next(45, 66)) : rng.Next(21, 52);
                headMale = rng.Chance(0.72);
                break;
            case HouseholdKind.Family:
                headAge = plan.Local ? rng.Next(28, 62) : rng.Next(24, 52);
                headMale = rng.Chance(0.72);
                break;
            case HouseholdKind.ThreeGenerations:
                headAge = rng.Next(28, 53);
                headMale = rng.Chance(0.72);
                break;
            default:
                headAge = rng.Next(28, 56);
                headMale = rng.Chance(0.25);
                break;
        }
        members[count++] = new Member { Age = headAge, Male = headMale, Relation = Relation.Head };
        if (plan.Kind is HouseholdKind.Couple or HouseholdKind.Family or HouseholdKind.ThreeGenerations)
        {
            var gap = rng.Next(0, 5);
            var spouseAge = Math.Clamp(headMale ? headAge - gap : headAge + gap, 20, 99);
            members[count++] = new Member { Age = spouseAge, Male = !headMale, Relation = Relation.Spouse };
        }
        var grandparents = plan.Grandparents;
        var children = plan.Size - count - grandparents;
        var motherAge = headMale && count > 1 ? members[1].Age : headAge;
        for (var c = 0; c < children; c++)
        {
            var maxAge = Math.Clamp(motherAge - 22, 0, plan.Kind == HouseholdKind.ThreeGenerations ? 20 : 28);
            var age = ChildAge(ref rng, maxAge);
            members[count++] = new Member { Age = age, Male = rng.Chance(0.52), Relation = Relation.Child };
        }
        if (plan.Kind == HouseholdKind.SingleParent && headMale)
        {
            // The birth register names the mother, so a single father's children are at least one year old.
            for (var c = 1; c < count; c++)
            {
                members[c].Age = Math.Max(1, members[c].Age);
            }
        }
        for (var g = 0; g < grandparents; g++)
        {
            var age = Math.Min(99, headAge + rng.Next(24, 35));
            var male = grandparents == 2 ? g == 0 : rng.Chance(0.35);
            members[count++] = new Member { Age = age, Male = male, Relation = Relation.Parent };
        }
        // The last household may be cut short to hit the exact resident count.
        return Math.Min(count, plan.Size);
    }

    /// <summary>
    /// A child's age up to the mother's limit, weighted so that recent low birth years (about 7 per 1,000 a
    /// year since 2020) have fewer children than the school-age years.
    /// </summary>
    private static int ChildAge(ref Rng rng, int maxAge)
    {
        while (true)
        {
            var age = rng.Next(0, maxAge + 1);
            var weight = age < 3 ? 0.16 : age < 6 ? 0.32 : age < 15 ? 0.6 : 1.0;
            if (rng.Chance(weight))
            {
                return age;
            }
        }
    }

    private static int Elderly(ref Rng rng)
    {
        var u = rng.NextDouble();
        return u < 0.45 ? rng.Next(60, 70) : u < 0.8 ? rng.Next(70, 80) : u < 0.97 ? rng.Next(80, 90) : rng.Next(90, 100);
    }

    public ResidentCore DrawCore(int resident, in HouseholdPlan plan, in Member member)
    {
        var rng = Rng.For(_seed, RngStream.Resident, resident);
        var core = new ResidentCore { Male = member.Male, DeathDay = -1, Employer = -1 };
        var age = member.Age;
        var asOf = AsOf;
        var earliest = asOf.AddYears(-(age + 1)).AddDays(1).DayNumber;
        var latest = asOf.AddYears(-age).DayNumber;
        core.BirthDay = earliest + rng.Next(latest - earliest + 1);
        var birthYear = DateOnly.FromDayNumber(core.BirthDay).Year;

        if (plan.Local)
        {
            var hukou = _gazetteer.Districts[plan.HukouDistrict].Code;
            if (age >= 25 && rng.Chance(0.25))
            {
                core.BirthDivision = _divisions.PickNonlocal(ref rng); // moved their hukou to Hangzhou later
            }
            else
            {
                // Births before the 2021 re-division carry the district code of the day.
                var code = birthYear >= 2021 ? hukou : hukou switch
                {
                    "330113" => "330110",
                    "330114" => rng.Chance(0.6) ? "330104" : "330109",
                    "330105" => rng.Chance(0.5) ? "330103" : "330105",
                    "330102" => rng.Chance(0.4) ? "330104" : "330102",
                    _ => hukou,
                };
                core.BirthDivision = _divisions.IndexOf(code);
            }
        }
        else
        {
            core.BirthDivision = plan.Hometown;
        }

        // Annual mortality rising with age (Gompertz-like, about 6 per 1,000 overall).
        var mortality = Math.Max(0.0004, 0.00002 * Math.Exp(0.1 * age));
        if (rng.Chance(mortality))
        {
            var deathDay = _asOf - rng.Next(365);
            if (deathDay > core.BirthDay)
            {
                core.DeathDay = deathDay;
            }
        }

        core.Education = DrawEducation(ref rng, age, birthYear, plan.Local);
        core.Ethnicity = Ethnicities.Pick(ref rng);
        var retirementAge = member.Male ? 60 : 55;
        var employedShare = plan.Local ? 0.86 : 0.93;
        if (age < 6)
        {
            core.Employment = Employment.Preschool;
        }
        else if (age < 18)
        {
            core.Employment = Employment.Student;
        }
        else if (age < 23 && core.Education >= Education.Senior && rng.Chance(0.6))
        {
            core.Employment = Employment.Student;
        }
        else if (age < retirementAge)
        {
            var u = rng.NextDouble();
            core.Employment = u < employedShare ? Employment.Employed : u < employedShare + 0.04 ? Employment.Unemployed : Employment.None;
        }
        else
        {
            core.Employment = age < 65 && rng.Chance(0.15) ? Employment.Employed
                : rng.Chance(plan.Local ? 0.85 : 0.4) ? Employment.Retired : Employment.None;
        }
        if (plan.Poor && core.Employment == Employment.Employed && age >= 18 && !rng.Chance(0.2))
        {
            core.Employment = rng.Chance(0.6) ? Employment.Unemployed : Employment.None;
        }

        if (core.Employment == Employment.Employed)
        {
            core.InsuredEmployee = rng.Chance(plan.Local ? 0.92 : 0.75);
            core.Wage = plan.Poor ? rng.Next(800, 1200) : (int)Math.Round(rng.LogNormal(MedianWage(core.Education), 0.45) / 10) * 10;
            core.Wage = Math.Max(core.Wage, plan.Poor ? 800 : 2280); // Hangzhou's minimum wage (2,280 yuan/month, 2021)
            core.SocialMonths = core.InsuredEmployee ? Math.Min(480, rng.Next(6, Math.Max(7, (age - 19) * 12))) : 0;
            core.UnemploymentMonths = core.InsuredEmployee ? (int)(core.SocialMonths * (0.7 + 0.3 * rng.NextDouble())) : 0;
        }
        else if (core.Employment == Employment.Retired)
        {
            core.SocialMonths = rng.Next(180, 481);
            core.UnemploymentMonths = (int)(core.SocialMonths * 0.6 * rng.NextDouble());
            core.Pension = plan.Poor ? rng.Next(300, 900) : (int)Math.Round(rng.LogNormal(4300, 0.3) / 10) * 10;
        }
        else if (core.Employment == Employment.Unemployed)
        {
            core.SocialMonths = rng.Next(0, Math.Max(1, Math.Min(240, (age - 18) * 12)));
            core.UnemploymentMonths = (int)(core.SocialMonths * 0.8);
        }
        else if (core.Employment == Employment.None && age >= 60 && plan.Local)
        {
            core.Pension = rng.Next(26, 41) * 10; // urban-rural residents' basic pension
        }

        core.Medical = core.InsuredEmployee || core.Employment == Employment.Retired ? MedicalInsurance.Employee
            : rng.Chance(age < 18 ? 0.97 : 0.93) ? MedicalInsurance.Resident : MedicalInsurance.None;
        if (plan.Poor)
        {
            core.Medical = core.InsuredEmployee ? MedicalInsurance.Employee : MedicalInsurance.Resident; // the dibao pays residents' premiums
        }

        var disability = age < 18 ? 0.005 : age < 60 ? 0.015 : age < 80 ? 0.04 : 0.08;
        if (plan.Poor)
        {
            disability *= 4;
        }
        if (rng.Chance(disability))
        {
            var g = rng.NextDouble();
            core.DisabilityGrade = (byte)(g < 0.1 ? 1 : g < 0.35 ? 2 : g < 0.65 ? 3 : 4);
            core.DisabilityKind = DisabilityKinds.Pick(ref rng);
        }

        core.Dibao = plan.Poor;
        if (core.Employment == Employment.Employed && _employers is not null)
        {
            core.Employer = _employers.Pick(ref rng);
        }
        if (core.Dead)
        {
            // The dead hold no job and draw no benefit; their insurance history stays.
            core.Employment = Employment.None;
            core.Employer = -1;
            core.InsuredEmployee = false;
            core.Wage = 0;
            core.Pension = 0;
            core.Dibao = false;
        }
        return core;
    }

    private static Education DrawEducation(ref Rng rng, int age, int birthYear, bool local)
    {
        if (age < 12)
        {
            return Education.None;
        }
        if (age < 15)
        {
            return Education.Primary;
        }
        if (age < 18)
        {
            return Education.Junior;
        }
        if (age < 22)
        {
            return rng.Chance(0.8) ? Education.Senior : Education.Junior;
        }
        // Attained education by birth cohort (7th census, Zhejiang/Hangzhou shape), per cent.
        ReadOnlySpan<double> shares = birthYear >= 1990 ? [0.5, 3, 18, 20, 22, 29, 7, 0.5]
            : birthYear >= 1970 ? [1, 10, 33, 22, 14, 17, 2.5, 0.5]
            : birthYear >= 1955 ? [3, 22, 40, 22, 7, 5, 0.8, 0.2]
            : [15, 40, 28, 11, 3, 2.5, 0.4, 0.1];
        var u = rng.NextDouble() * 100;
        var level = 0;
        for (; level < shares.Length - 1; level++)
        {
            u -= shares[level];
            if (u < 0)
            {
                break;
            }
        }
        if (!local && level >= (int)Education.College && rng.Chance(0.35))
        {
            level--; // migrant workers have somewhat less schooling on average
        }
        return (Education)level;
    }

    private static double MedianWage(Education education) => education switch
    {
        Education.None or Education.Primary => 4200,
        Education.Junior => 5000,
        Education.Senior => 5800,
        Education.College => 7000,
        Education.Bachelor => 9500,
        Education.Master => 14000,
        _ => 18000,
    };
}
