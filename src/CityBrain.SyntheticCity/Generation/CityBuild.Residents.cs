using System.Globalization;

namespace CityBrain.SyntheticCity.Generation;

internal sealed partial class CityBuild
{
    private static readonly DirtKind[] RkDirt = [DirtKind.BadCheckDigit, DirtKind.MissingField, DirtKind.ImpossibleValue, DirtKind.Duplicate, DirtKind.AddressVariant];
    private static readonly DirtKind[] PersonsDirt = [DirtKind.BadCheckDigit, DirtKind.DistrictMismatch, DirtKind.MissingField, DirtKind.ImpossibleValue, DirtKind.Duplicate];
    private static readonly DirtKind[] InsuranceDirt = [DirtKind.ImpossibleValue, DirtKind.MissingField];
    private static readonly DirtKind[] InsuredDirt = [DirtKind.BadCheckDigit, DirtKind.DistrictMismatch, DirtKind.MissingField, DirtKind.Duplicate];
    private static readonly DirtKind[] DibaoDirt = [DirtKind.DistrictMismatch, DirtKind.MissingField, DirtKind.Duplicate];
    private static readonly DirtKind[] DisabilityDirt = [DirtKind.MissingField, DirtKind.ImpossibleValue, DirtKind.DistrictMismatch];
    private static readonly DirtKind[] DeathsDirt = [DirtKind.MissingField, DirtKind.Duplicate];
    private static readonly DirtKind[] DeathCertificateDirt = [DirtKind.MissingField];
    private static readonly DirtKind[] BirthsDirt = [DirtKind.BadCheckDigit, DirtKind.MissingField];
    private static readonly DirtKind[] SetlDirt = [DirtKind.ImpossibleValue, DirtKind.Duplicate];
    private static readonly DirtKind[] VehiclesDirt = [DirtKind.BadCheckDigit, DirtKind.MissingField, DirtKind.Duplicate];
    private static readonly DirtKind[] ParkingDirt = [DirtKind.ImpossibleValue, DirtKind.Duplicate];

    private static readonly string[] Phones = "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 177 180 181 182 183 185 186 187 188 189 191 198 199".Split(' ');
    private static readonly string[] DeathCauses = ["I21.9", "I63.9", "I64", "C34.9", "C16.9", "C22.0", "J44.9", "J18.9", "E14.9", "I10", "N18.9", "V89.2", "G30.9", "C18.9"];

    private static readonly (string Category, string Department, string Text)[] HotlineTopics =
    [
        ("噪声扰民", "sthjj", "反映{0}附近夜间施工噪声扰民，影响休息，请尽快处理。"),
        ("道路破损", "cgj", "{0}门口道路破损有坑洼，存在安全隐患，请派人修复。"),
        ("垃圾清运", "cgj", "{0}小区垃圾未及时清运，气味较大。"),
        ("物业纠纷", "zjj", "{0}物业服务不到位，电梯经常故障，要求整改。"),
        ("停车难", "jtj", "{0}周边停车位紧张，希望增设停车泊位。"),
        ("社保咨询", "rsj", "咨询社保缴费年限及退休待遇的计算方式。"),
        ("医保报销", "ybj", "咨询医保异地就医备案和报销比例。"),
        ("低保申请", "mzj", "咨询低保申请条件和办理流程。"),
        ("消费投诉", "scjgj", "在{0}附近商店购物遇到价格欺诈，要求处理。"),
        ("户籍办理", "gaj", "咨询子女落户和居住证办理手续。"),
        ("供水问题", "zjj", "{0}停水未提前通知，请求尽快恢复供水。"),
    ];

    internal static string HotlineCategory(ref Rng rng) => rng.Pick(HotlineTopics).Category;

    /// <summary>
    /// A resident as written. <paramref name="MovedOut"/>: the day the household's registration moved out of Hangzhou, or -1;
    /// <paramref name="DibaoBeforeMove"/>: drew 低保 until then (a leaver's own core says no longer).
    /// </summary>
    private readonly record struct Person(int Index, string Id, string Name, string Phone, ResidentCore Core, Member Member, int Age, StaleDeath Stale,
        int MovedOut = -1, bool DibaoBeforeMove = false);

    /// <summary>A household's move out of Hangzhou (迁出): the day (-1: none), the destination division, whether mzj still lists it.</summary>
    private readonly record struct MoveOut(int Day, string Destination, bool MzjLags)
    {
        public static readonly MoveOut None = new(-1, "", false);
    }

    /// <summary>How far back moves out of the city go.</summary>
    private const int MoveOutWindowDays = 730;

    /// <summary>
    /// Whether household <paramref name="h"/> moved its registration out of Hangzhou: a share of local-hukou households
    /// (not those that moved within the city), on a day in the two years before the as-of date after every member was
    /// born, to a division outside the city. Its living members leave; a member who died stays on the city's death records.
    /// A pure function of the household, so every pass that needs it agrees.
    /// </summary>
    private MoveOut MoveOutOf(int h)
    {
        ref readonly var plan = ref _plans[h];
        if (!plan.Local || plan.Moved)
        {
            return MoveOut.None;
        }
        var rng = Rng.For(_seed, RngStream.Household, h, 1);
        if (!rng.Chance(_options.MovedOutShare))
        {
            return MoveOut.None;
        }
        var day = _asOf - rng.Next(MoveOutWindowDays);
        for (var i = plan.FirstResident; i < plan.FirstResident + plan.Size; i++)
        {
            if (_birthDay[i] >= day)
            {
                return MoveOut.None; // a child born after the move would never have been registered here
            }
        }
        return new MoveOut(day, _divisions.Codes[_divisions.PickNonlocal(ref rng)], rng.Chance(_options.MovedOutLag));
    }

    /// <summary>Where a dead person still appears alive (stale-death dirt), if anywhere.</summary>
    private enum StaleDeath { None, PopulationRegister, Labour, Dibao, Swipe }

    /// <summary>A resident's name and phone, from the household's surnames and the resident's own text stream.</summary>
    private (string Name, string Phone) ResidentText(int resident)
    {
        var h = HouseholdOf(resident);
        Span<Member> members = stackalloc Member[8];
        _population.DrawMembers(h, _plans[h], members);
        return ResidentText(h, members, resident - _plans[h].FirstResident);
    }

    private (string Name, string Phone) ResidentText(int household, ReadOnlySpan<Member> members, int m)
    {
        var family = Rng.For(_seed, RngStream.Members, household, 1);
        var headSurname = _names.Surname(ref family);
        var spouseSurname = _names.Surname(ref family);
        var member = members[m];
        var rng = Rng.For(_seed, RngStream.ResidentText, _plans[household].FirstResident + m);
        var headMale = members[0].Male;
        var hasSpouse = members.Length > 1 && members[1].Relation == Relation.Spouse;
        var surname = member.Relation switch
        {
            Relation.Head => headSurname,
            Relation.Spouse => spouseSurname,
            Relation.Child => rng.Chance(0.9) ? (headMale || !hasSpouse ? headSurname : spouseSurname) : (headMale && hasSpouse ? spouseSurname : headSurname),
            _ => member.Male ? headSurname : _names.Surname(ref rng),
        };
        var name = surname + _names.GivenName(ref rng, member.Male);
        var phone = rng.Pick(Phones) + rng.Next(0, 100_000_000).ToString("D8", CultureInfo.InvariantCulture);
        return (name, phone);
    }

    private void WriteResidents(CityWriter writer) =>
        RunBlocks("Residents and activity", _households, BlockHouseholds, (start, end, block) =>
        {
            var people = new Person[8];
            Span<Member> members = stackalloc Member[8];
            for (var h = start; h < end; h++)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                WriteHousehold(h, members, people, block);
            }
        }, writer);

    private void WriteHousehold(int h, Span<Member> members, Person[] people, BlockBuffers block)
    {
        ref readonly var plan = ref _plans[h];
        var n = _population.DrawMembers(h, plan, members);
        var community = _gazetteer.Communities[plan.Community];
        var district = community.Street.District;
        var districtIndex = _gazetteer.Districts.IndexOf(district);
        var address = DwellingAddress(plan);
        var householdId = (h + 1).ToString("D9", CultureInfo.InvariantCulture);
        var addressId = "D" + householdId;
        WriteAddress(block[CityFile.Addresses], addressId, "dwelling", community, address, h);

        var moveOut = MoveOutOf(h);
        for (var m = 0; m < n; m++)
        {
            var i = plan.FirstResident + m;
            var (name, phone) = ResidentText(h, members[..n], m);
            var core = _population.DrawCore(i, plan, members[m]);
            var leaves = moveOut.Day >= 0 && !core.Dead;
            var dibaoBefore = core.Dibao;
            if (leaves)
            {
                core.Dibao = false; // 低保 is for local hukou: it ends with the move
            }
            var person = new Person(i, IdOf(i), name, phone, core, members[m], AgeOf(i), StaleDeath.None, leaves ? moveOut.Day : -1, leaves && dibaoBefore);
            people[m] = person with { Stale = StaleDeathTarget(person, plan) };
        }
        block[CityFile.Households].Field(householdId).Field(people[0].Id).Field(addressId).Field(plan.Local ? "local" : "nonlocal").EndRow();

        var hukouDivision = plan.Local ? _gazetteer.Districts[plan.HukouDistrict].Code : _divisions.Codes[plan.Hometown];
        // A household that moved in the last year moved together, from some district to this dwelling.
        var move = Rng.For(_seed, RngStream.Activity, h, 3);
        var moveDay = plan.Moved ? _asOf - move.Next(365) : -1;
        var movedFrom = _gazetteer.Districts[move.Next(_gazetteer.Districts.Count)].Code;
        for (var m = 0; m < n; m++)
        {
            var p = people[m];
            WriteResident(p, plan, householdId, addressId, hukouDivision, block);
            WritePopulationRecord(p, plan.Local, householdId, hukouDivision, address, moveOut, block);
            WriteMoveOut(p, moveOut, block);
            WriteLabourRecords(p, district, block);
            WriteWelfareRecords(p, householdId, district, moveOut.MzjLags, block);
            WriteHealthRecords(p, people.AsSpan(0, n), districtIndex, block);
            WriteSwipes(p, districtIndex, block);
            WriteHotline(p, addressId, address, block);
            if (plan.Moved && _birthDay[p.Index] < moveDay && (!p.Core.Dead || p.Core.DeathDay > moveDay))
            {
                block[CityFile.Events].Field(IsoTime(moveDay * 86_400L + 10 * 3600)).Field("move").Field(p.Id).Field($"from={movedFrom};to={addressId}").EndRow();
            }
        }
        WriteVehicles(plan, people.AsSpan(0, n), districtIndex, block);
    }

    private void WriteResident(in Person p, in HouseholdPlan plan, string householdId, string addressId, string hukouDivision, BlockBuffers block)
    {
        var c = p.Core;
        var b = block[CityFile.Residents];
        b.Field(p.Id).Field(p.Name).Field(c.Male ? "1" : "2").Field(Date(_birthDay[p.Index])).Field(Population.EthnicityName(c.Ethnicity))
            .Field(householdId).Field(p.Member.Relation.ToString().ToLowerInvariant()).Field(plan.Local ? "local" : "nonlocal").Field(hukouDivision)
            .Field(addressId).Field(p.Phone).Field(c.Education.ToString().ToLowerInvariant()).Field(c.Employment.ToString().ToLowerInvariant())
            .Field(c.Employer >= 0 ? _uscc[c.Employer] : "").Field(c.Wage).Field(c.SocialMonths).Field(c.UnemploymentMonths)
            .Field(c.Medical.ToString().ToLowerInvariant()).Field(c.DisabilityGrade)
            .Field(c.DisabilityGrade > 0 ? Population.DisabilityKindNames[c.DisabilityKind] : "").Field(c.Dibao ? "true" : "false")
            .Field(c.Pension).Field(c.Dead ? Date(c.DeathDay) : "").EndRow();
        PolicyTruth.Resident(block[CityFile.PolicyEligible], p.Id, c, p.Age, plan.Local, movedOut: p.MovedOut >= 0);
    }

    /// <summary>
    /// A leaver's truth: truth/moved_out.csv (with the mzj datasets that still list the person as living here) and the
    /// move-out event. The population register's side is in <see cref="WritePopulationRecord"/>.
    /// </summary>
    private void WriteMoveOut(in Person p, in MoveOut move, BlockBuffers block)
    {
        if (p.MovedOut < 0)
        {
            return;
        }
        var stillListed = !move.MzjLags ? ""
            : string.Join(';', new[] { p.DibaoBeforeMove ? "mzj.dibao" : null, p.Core.DisabilityGrade > 0 ? "mzj.disability" : null }.OfType<string>());
        block[CityFile.MovedOut].Field(p.Id).Field(Date(p.MovedOut)).Field(move.Destination).Field(stillListed).EndRow();
        block[CityFile.Events].Field(IsoTime(p.MovedOut * 86_400L + 10 * 3600)).Field("move-out").Field(p.Id).Field("to=" + move.Destination).EndRow();
    }

    /// <summary>Picks, for a share of the dead, one department where they still appear alive.</summary>
    private StaleDeath StaleDeathTarget(in Person p, in HouseholdPlan plan)
    {
        if (!p.Core.Dead)
        {
            return StaleDeath.None;
        }
        var rng = Rng.For(_seed, RngStream.Dirt, p.Index, 999);
        if (!rng.Chance(_dirt.Rates.StaleDeath))
        {
            return StaleDeath.None;
        }
        Span<StaleDeath> targets = stackalloc StaleDeath[4];
        var count = 0;
        targets[count++] = StaleDeath.PopulationRegister;
        if (p.Age >= 16)
        {
            targets[count++] = StaleDeath.Labour; // rsj lists people from 16
        }
        if (plan.Local)
        {
            targets[count++] = StaleDeath.Dibao; // dibao is for local hukou only
        }
        if (p.Core.Medical != MedicalInsurance.None && p.Core.DeathDay < _asOf)
        {
            targets[count++] = StaleDeath.Swipe; // a day after death must still fall inside the data
        }
        return targets[rng.Next(count)];
    }

    private static string RelationCode(in Member member) => member.Relation switch
    {
        Relation.Head => "02",
        Relation.Spouse => "10",
        Relation.Child => member.Male ? "20" : "30",
        _ => member.Male ? "51" : "52",
    };

    /// <summary>
    /// The population register's row. A leaver's row stays, as a real 户籍 register keeps a cancelled registration, with
    /// the move-out date (QCRQ) and the destination division (QWQH); the register is always up to date about it.
    /// </summary>
    private void WritePopulationRecord(in Person p, bool local, string householdId, string hukouDivision, in AddressParts address, in MoveOut move, BlockBuffers block)
    {
        var c = p.Core;
        var leaves = p.MovedOut >= 0;
        var row = new[]
        {
            p.Id, p.Name, c.Male ? "1" : "2", Date(_birthDay[p.Index]), c.Ethnicity.ToString("D2", CultureInfo.InvariantCulture), householdId,
            RelationCode(p.Member), local ? "1" : "2", hukouDivision, address.Standard, p.Phone, c.Dead ? "1" : "0", c.Dead ? Date(c.DeathDay) : "",
            leaves ? Date(p.MovedOut) : "", leaves ? move.Destination : "",
        };
        if (p.Stale == StaleDeath.PopulationRegister)
        {
            row[11] = "0";
            row[12] = "";
            DirtPlanter.Record(block[CityFile.Dirt], DirtKind.StaleDeath, CityFile.GajPopulation, p.Id, "SWBZ", "1", "0");
            DirtPlanter.Write(block[CityFile.GajPopulation], row);
            return;
        }
        var kind = _dirt.Choose(CityFile.GajPopulation, p.Index, RkDirt, out var rng);
        var (field, dirty) = kind switch
        {
            DirtKind.BadCheckDigit => (0, DirtPlanter.BreakCheckCharacter(p.Id, ref rng, IdCheckAlphabet)),
            DirtKind.MissingField => rng.Chance(0.5) ? (10, "") : (4, ""),
            DirtKind.ImpossibleValue => (3, (_options.AsOf.Year + 1 + rng.Next(80)).ToString(CultureInfo.InvariantCulture) + row[3][4..]),
            DirtKind.AddressVariant => (9, address.Variant(ref rng)),
            _ => (0, ""),
        };
        DirtPlanter.Emit(block, CityFile.GajPopulation, row, p.Id, kind, field, dirty);
    }

    private string OtherDistrict(string code, ref Rng rng)
    {
        string other;
        do
        {
            other = _gazetteer.Districts[rng.Next(_gazetteer.Districts.Count)].Code;
        }
        while (other == code);
        return other;
    }

    private void WriteLabourRecords(in Person p, District district, BlockBuffers block)
    {
        if (p.Age < 16)
        {
            return;
        }
        var c = p.Core;
        var rng = Rng.For(_seed, RngStream.Activity, p.Index, 1);
        var status = c.Dead ? "deceased" : c.Employment.ToString().ToLowerInvariant();
        var start = c.Employment == Employment.Employed ? CompactDate(_asOf - rng.Next(30, Math.Max(31, Math.Min(c.SocialMonths, 240) * 30))) : "";
        var row = new[] { p.Id, p.Name, district.Code, c.Employer >= 0 ? _uscc[c.Employer] : "", status, start, c.Employment == Employment.Employed ? Int(c.Wage) : "" };
        if (p.Stale == StaleDeath.Labour)
        {
            row[4] = p.Age >= 60 ? "retired" : "employed";
            DirtPlanter.Record(block[CityFile.Dirt], DirtKind.StaleDeath, CityFile.RsjPersons, p.Id, "employment_status", "deceased", row[4]);
            DirtPlanter.Write(block[CityFile.RsjPersons], row);
        }
        else
        {
            var kind = _dirt.Choose(CityFile.RsjPersons, p.Index, PersonsDirt, out var dirtRng);
            var (field, dirty) = kind switch
            {
                DirtKind.BadCheckDigit => (0, DirtPlanter.BreakCheckCharacter(p.Id, ref dirtRng, IdCheckAlphabet)),
                DirtKind.DistrictMismatch => (2, OtherDistrict(district.Code, ref dirtRng)),
                DirtKind.MissingField => (1, ""),
                DirtKind.ImpossibleValue => (6, Int(-(c.Wage > 0 ? c.Wage : 1000 + dirtRng.Next(9000)))),
                _ => (0, ""),
            };
            DirtPlanter.Emit(block, CityFile.RsjPersons, row, p.Id, kind, field, dirty);
        }

        if (c.SocialMonths > 0 || c.Pension > 0 || c.Medical == MedicalInsurance.Employee)
        {
            var retirementAge = c.Male ? 60 : 55;
            var retired = c.Employment == Employment.Retired ? CompactDate(DateOnly.FromDayNumber(_birthDay[p.Index]).AddYears(retirementAge).DayNumber) : "";
            var medical = c.Medical switch { MedicalInsurance.Employee => "310", MedicalInsurance.Resident => "390", _ => "" };
            var insurance = new[] { p.Id, Int(c.SocialMonths), Int(c.UnemploymentMonths), medical, Int(c.Pension), retired };
            var kind = _dirt.Choose(CityFile.RsjInsurance, p.Index, InsuranceDirt, out _);
            if (kind == DirtKind.MissingField && medical.Length == 0)
            {
                kind = DirtKind.None; // nothing to leave out
            }
            DirtPlanter.Emit(block, CityFile.RsjInsurance, insurance, p.Id, kind, kind == DirtKind.MissingField ? 3 : 1,
                kind == DirtKind.ImpossibleValue ? Int((p.Age + 1) * 12 + 120) : "");
        }
    }

    /// <summary>
    /// Civil affairs' records. A leaver's 低保 ends and the disability certificate moves with the registration, unless mzj
    /// lags (<paramref name="mzjLags"/>): then both stay as they were before the move.
    /// </summary>
    private void WriteWelfareRecords(in Person p, string householdId, District district, bool mzjLags, BlockBuffers block)
    {
        var c = p.Core;
        var rng = Rng.For(_seed, RngStream.Activity, p.Index, 2);
        var staleDibao = p.Stale == StaleDeath.Dibao;
        var leaves = p.MovedOut >= 0;
        if (leaves && mzjLags && p.DibaoBeforeMove)
        {
            var amount = Math.Max(100, Population.DibaoStandard - c.Wage - c.Pension);
            DirtPlanter.Write(block[CityFile.MzjDibao], [p.Id, p.Name, householdId, Int(amount), Date(_asOf - rng.Next(60, 2000)), district.Code, "active"]);
        }
        else if (c.Dibao || staleDibao)
        {
            var amount = Math.Max(100, Population.DibaoStandard - c.Wage - c.Pension);
            var since = Date(_asOf - rng.Next(60, 2000));
            var row = new[] { p.Id, p.Name, householdId, Int(amount), since, district.Code, "active" };
            if (staleDibao)
            {
                // Benefits still paid to someone who has died: the record should not exist at all.
                DirtPlanter.Record(block[CityFile.Dirt], DirtKind.StaleDeath, CityFile.MzjDibao, p.Id, "status", "", "active");
                DirtPlanter.Write(block[CityFile.MzjDibao], row);
            }
            else
            {
                var kind = _dirt.Choose(CityFile.MzjDibao, p.Index, DibaoDirt, out var dirtRng);
                DirtPlanter.Emit(block, CityFile.MzjDibao, row, p.Id, kind, kind == DirtKind.DistrictMismatch ? 5 : 1,
                    kind == DirtKind.DistrictMismatch ? OtherDistrict(district.Code, ref dirtRng) : "");
            }
        }
        if (c.DisabilityGrade > 0 && !c.Dead && (!leaves || mzjLags))
        {
            var certificate = p.Id + (c.DisabilityKind + 1).ToString(CultureInfo.InvariantCulture) + c.DisabilityGrade.ToString(CultureInfo.InvariantCulture);
            var row = new[] { p.Id, p.Name, Int(c.DisabilityGrade), Population.DisabilityKindNames[c.DisabilityKind], certificate, district.Code };
            var kind = _dirt.Choose(CityFile.MzjDisability, p.Index, DisabilityDirt, out var dirtRng);
            var (field, dirty) = kind switch
            {
                DirtKind.MissingField => (3, ""),
                DirtKind.ImpossibleValue => (2, Int(dirtRng.Next(5, 10))),
                DirtKind.DistrictMismatch => (5, OtherDistrict(district.Code, ref dirtRng)),
                _ => (0, ""),
            };
            DirtPlanter.Emit(block, CityFile.MzjDisability, row, p.Id, kind, field, dirty);
        }
        if (c.Dead)
        {
            var row = new[] { p.Id, p.Name, Date(c.DeathDay), district.Code };
            var kind = _dirt.Choose(CityFile.MzjDeaths, p.Index, DeathsDirt, out _);
            DirtPlanter.Emit(block, CityFile.MzjDeaths, row, p.Id, kind, 1, "");
        }
    }

    private void WriteHealthRecords(in Person p, ReadOnlySpan<Person> household, int districtIndex, BlockBuffers block)
    {
        var c = p.Core;
        var rng = Rng.For(_seed, RngStream.Activity, p.Index, 4);
        if (c.Dead)
        {
            var time = (long)c.DeathDay * 86_400 + rng.Next(86_400);
            var cause = rng.Pick(DeathCauses);
            var certificate = "SW" + (p.Index + 1).ToString("D9", CultureInfo.InvariantCulture);
            var row = new[] { certificate, p.Id, IsoTime(time) + "+08:00", cause };
            var kind = _dirt.Choose(CityFile.WjwDeathCertificates, p.Index, DeathCertificateDirt, out _);
            DirtPlanter.Emit(block, CityFile.WjwDeathCertificates, row, certificate, kind, 3, "");
            block[CityFile.Events].Field(IsoTime(time)).Field("death").Field(p.Id).Field("cause=" + cause).EndRow();
        }
        if (p.Age == 0 && _birthDay[p.Index] > _asOf - 365)
        {
            var mother = -1;
            for (var m = 0; m < household.Length; m++)
            {
                if (household[m].Member.Relation is Relation.Head or Relation.Spouse && !household[m].Core.Male)
                {
                    mother = m;
                }
            }
            if (mother >= 0)
            {
                var time = (long)_birthDay[p.Index] * 86_400 + rng.Next(86_400);
                var hospital = PickInstitution(districtIndex, 0, ref rng);
                var certificate = "Q" + (p.Index + 1).ToString("D9", CultureInfo.InvariantCulture);
                var row = new[] { certificate, p.Id, p.Name, household[mother].Id, IsoTime(time) + "+08:00", _institutionNames[hospital] };
                var kind = _dirt.Choose(CityFile.WjwBirths, p.Index, BirthsDirt, out var dirtRng);
                DirtPlanter.Emit(block, CityFile.WjwBirths, row, certificate, kind, kind == DirtKind.BadCheckDigit ? 1 : 2,
                    kind == DirtKind.BadCheckDigit ? DirtPlanter.BreakCheckCharacter(p.Id, ref dirtRng, IdCheckAlphabet) : "");
                block[CityFile.Events].Field(IsoTime(time)).Field("birth").Field(p.Id).Field("hospital=" + _institutionCodes[hospital]).EndRow();
            }
        }
        if (c.Medical != MedicalInsurance.None)
        {
            var row = new[]
            {
                p.Id, p.Name, c.Medical == MedicalInsurance.Employee ? "310" : "390",
                c.Medical == MedicalInsurance.Employee && c.Employer >= 0 ? _uscc[c.Employer] : "", _gazetteer.Districts[districtIndex].Code,
            };
            var kind = _dirt.Choose(CityFile.YbjInsured, p.Index, InsuredDirt, out var dirtRng);
            var (field, dirty) = kind switch
            {
                DirtKind.BadCheckDigit => (0, DirtPlanter.BreakCheckCharacter(p.Id, ref dirtRng, IdCheckAlphabet)),
                DirtKind.DistrictMismatch => (4, OtherDistrict(row[4], ref dirtRng)),
                DirtKind.MissingField => (1, ""),
                _ => (0, ""),
            };
            DirtPlanter.Emit(block, CityFile.YbjInsured, row, p.Id, kind, field, dirty);
        }
    }

    private void WriteSwipes(in Person p, int districtIndex, BlockBuffers block)
    {
        var c = p.Core;
        if (c.Medical == MedicalInsurance.None)
        {
            return;
        }
        var rng = Rng.For(_seed, RngStream.Activity, p.Index, 5);
        var perMonth = p.Age < 18 ? 0.3 : p.Age < 60 ? 0.25 : p.Age < 75 ? 0.8 : 1.2;
        var count = rng.Poisson(perMonth * _options.ActivityDays / 30.0);
        var prefix = "S" + p.Index.ToString("D8", CultureInfo.InvariantCulture);
        for (var k = 0; k < count; k++)
        {
            var day = _windowStart + rng.Next(_options.ActivityDays);
            var u = rng.NextDouble();
            var kind = (byte)(u < 0.15 ? 0 : u < 0.45 ? 1 : 2);
            var institution = PickInstitution(districtIndex, kind, ref rng);
            var amount = (long)(rng.LogNormal(kind switch { 0 => 600, 1 => 150, _ => 90 }, 0.7) * 100);
            var time = (long)day * 86_400 + rng.Next(8 * 3600, 20 * 3600);
            if ((c.Dead && day >= c.DeathDay) || (p.MovedOut >= 0 && day >= p.MovedOut))
            {
                continue; // the dead do not swipe, and those who left see doctors elsewhere
            }
            WriteSwipe(prefix + k.ToString("D2", CultureInfo.InvariantCulture), p, institution, time, amount, block);
        }
        if (_ringMembers.TryGetValue(p.Index, out var rings))
        {
            foreach (var (ring, member) in rings)
            {
                var r = _rings[ring];
                var ringRng = Rng.For(_seed, RngStream.Fraud, r.Id, 1000 + member);
                for (var s = 0; s < r.Sessions.Length; s++)
                {
                    var (time, institution) = r.Sessions[s];
                    var amount = (long)(ringRng.Next(180, 320) * 100);
                    WriteSwipe(prefix + (60 + s).ToString("D2", CultureInfo.InvariantCulture), p, institution, time + ringRng.Next(0, 25 * 60), amount, block);
                }
            }
        }
        if (p.Stale == StaleDeath.Swipe)
        {
            // A card swiped after its holder's death: only the department's file has it.
            var day = c.DeathDay + 1 + rng.Next(Math.Max(1, _asOf - c.DeathDay));
            var time = Math.Min(day, _asOf) * 86_400L + rng.Next(8 * 3600, 20 * 3600);
            var institution = PickInstitution(districtIndex, 2, ref rng);
            var id = prefix + "90";
            var row = new[] { id, p.Id, _institutionCodes[institution], YbjTime(time), Yuan((long)(rng.LogNormal(120, 0.5) * 100)) };
            DirtPlanter.Record(block[CityFile.Dirt], DirtKind.StaleDeath, CityFile.YbjSettlements, id, "setl_time", "", row[3]);
            DirtPlanter.Write(block[CityFile.YbjSettlements], row);
        }
    }

    private static string YbjTime(long seconds) => Local(seconds).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private void WriteSwipe(string id, in Person p, int institution, long time, long amount, BlockBuffers block)
    {
        block[CityFile.Swipes].Field(id).Field(p.Id).Field(_institutionCodes[institution]).Field(IsoTime(time)).Money(amount).EndRow();
        var row = new[] { id, p.Id, _institutionCodes[institution], YbjTime(time), Yuan(amount) };
        var kind = _dirt.Choose(CityFile.YbjSettlements, (long)p.Index * 100 + int.Parse(id.AsSpan(9), CultureInfo.InvariantCulture), SetlDirt, out _);
        DirtPlanter.Emit(block, CityFile.YbjSettlements, row, id, kind, 4, kind == DirtKind.ImpossibleValue ? Yuan(-amount - 100) : "");
    }

    private void WriteHotline(in Person p, string addressId, in AddressParts address, BlockBuffers block)
    {
        if (p.Age < 18 || p.Core.Dead)
        {
            return;
        }
        var rng = Rng.For(_seed, RngStream.Activity, p.Index, 6);
        var count = rng.Poisson(0.02 * _options.ActivityDays / 30.0);
        for (var k = 0; k < count; k++)
        {
            var (category, department, text) = rng.Pick(HotlineTopics);
            var day = _windowStart + rng.Next(_options.ActivityDays);
            var time = (long)day * 86_400 + rng.Next(7 * 3600, 23 * 3600);
            if (p.MovedOut >= 0 && day >= p.MovedOut)
            {
                continue; // no longer calls about a city it has left
            }
            var place = address.Road + address.Number.ToString(CultureInfo.InvariantCulture) + "号";
            block[CityFile.Hotline].Field("R" + p.Index.ToString("D8", CultureInfo.InvariantCulture) + k.ToString("D2", CultureInfo.InvariantCulture))
                .Field(IsoTime(time)).Field(p.Id).Field(addressId).Field(category).Field(string.Format(CultureInfo.InvariantCulture, text, place)).Field(department).EndRow();
        }
    }

    private void WriteVehicles(in HouseholdPlan plan, ReadOnlySpan<Person> household, int districtIndex, BlockBuffers block)
    {
        for (var v = 0; v < plan.Vehicles; v++)
        {
            var vehicle = plan.FirstVehicle + v;
            var owner = v == 1 && household.Length > 1 && household[1].Age >= 18 ? household[1] : household[0];
            var rng = Rng.For(_seed, RngStream.Activity, vehicle, 7);
            var u = rng.NextDouble();
            var (kind, hpzl) = u < 0.22 ? ("new-energy", "52") : u < 0.985 ? ("small", "02") : ("large", "01");
            var plate = Plates.Of(vehicle, hpzl == "52");
            var adult = DateOnly.FromDayNumber(_birthDay[owner.Index]).AddYears(18).DayNumber;
            var registered = Math.Max(adult, _asOf - rng.Next(15 * 365));
            block[CityFile.Vehicles].Field(plate).Field(owner.Id).Field(kind).Field(Date(registered)).EndRow();
            var row = new[] { plate, hpzl, owner.Name, owner.Id, EpochMilliseconds(registered * 86_400L + 9 * 3600) };
            var dirtKind = _dirt.Choose(CityFile.JtjVehicles, vehicle, VehiclesDirt, out var dirtRng);
            var (field, dirty) = dirtKind switch
            {
                DirtKind.BadCheckDigit => (3, DirtPlanter.BreakCheckCharacter(owner.Id, ref dirtRng, IdCheckAlphabet)),
                DirtKind.MissingField => (2, ""),
                _ => (0, ""),
            };
            DirtPlanter.Emit(block, CityFile.JtjVehicles, row, plate, dirtKind, field, dirty);

            var sessions = rng.Poisson(3.0 * _options.ActivityDays / 30.0);
            for (var s = 0; s < sessions; s++)
            {
                var lots = _lotsByDistrict[rng.Chance(0.7) ? districtIndex : rng.Next(_lotsByDistrict.Length)];
                if (lots.Length == 0)
                {
                    lots = _lotsByDistrict[districtIndex];
                }
                var lot = lots[rng.Next(lots.Length)];
                var start = (long)(_windowStart + rng.Next(_options.ActivityDays)) * 86_400 + rng.Next(7 * 3600, 22 * 3600);
                var minutes = (int)Math.Clamp(rng.LogNormal(90, 1.0), 5, 24 * 60);
                var end = start + minutes * 60L;
                var hours = minutes <= 15 ? 0 : (minutes + 59) / 60;
                var fee = Math.Min(60, hours * 5) * 100L;
                var id = "K" + vehicle.ToString("D8", CultureInfo.InvariantCulture) + s.ToString("D2", CultureInfo.InvariantCulture);
                block[CityFile.Parking].Field(id).Field(plate).Field(lot).Field(IsoTime(start)).Field(IsoTime(end)).Money(fee).EndRow();
                var parking = new[] { id, plate, lot, EpochMilliseconds(start), EpochMilliseconds(end), Yuan(fee) };
                var parkingKind = _dirt.Choose(CityFile.JtjParking, (long)vehicle * 100 + s, ParkingDirt, out _);
                // Exit before entry: the exit stamped an hour before the car came in.
                DirtPlanter.Emit(block, CityFile.JtjParking, parking, id, parkingKind, 4, parkingKind == DirtKind.ImpossibleValue ? EpochMilliseconds(start - 3600) : "");
            }
        }
    }
}
