using System.Globalization;

namespace CityBrain.SyntheticCity.Generation;

internal sealed partial class CityBuild
{
    private static readonly DirtKind[] QyDirt = [DirtKind.BadCheckDigit, DirtKind.AddressVariant, DirtKind.MissingField, DirtKind.ImpossibleValue, DirtKind.Duplicate];
    private static readonly DirtKind[] NsrDirt = [DirtKind.ImpossibleValue, DirtKind.Duplicate];
    private static readonly DirtKind[] UnitsDirt = [DirtKind.ImpossibleValue];
    private static readonly DirtKind[] FixmedinsDirt = [DirtKind.AddressVariant];

    /// <summary>Runs blocks of work in parallel waves and appends their output in block order.</summary>
    private void RunBlocks(string stage, int items, int blockSize, Action<int, int, BlockBuffers> fill, CityWriter writer)
    {
        var blocks = (items + blockSize - 1) / blockSize;
        var wave = _parallel.MaxDegreeOfParallelism * 2;
        var buffers = Enumerable.Range(0, wave).Select(_ => new BlockBuffers()).ToArray();
        Report(stage, 0, items);
        for (var first = 0; first < blocks; first += wave)
        {
            var count = Math.Min(wave, blocks - first);
            Parallel.For(0, count, _parallel, w =>
            {
                buffers[w].Clear();
                var b = first + w;
                fill(b * blockSize, Math.Min(items, (b + 1) * blockSize), buffers[w]);
            });
            for (var w = 0; w < count; w++)
            {
                writer.Append(buffers[w]);
            }
            Report(stage, Math.Min(items, (long)(first + count) * blockSize), items);
        }
    }

    private AddressParts WorkplaceAddress(in EnterprisePlan plan)
    {
        var c = _gazetteer.Communities[plan.Community];
        var q = plan.Ordinal / 1250;
        var r = plan.Ordinal % 1250;
        var floor = r % 250 / 10 + 1;
        return new AddressParts(c.Street.District.Name, c.Street.Name, c.Roads[q % c.Roads.Length],
            2 * (7 * (q / c.Roads.Length) + (c.Index + q) % 7) + 1, r / 250 + 1, 0, floor * 100 + r % 10 + 1, c.Street.OldDistrictName);
    }

    private AddressParts InstitutionAddress(in InstitutionPlan plan)
    {
        var c = _gazetteer.Communities[plan.Community];
        return new AddressParts(c.Street.District.Name, c.Street.Name, c.Roads[plan.Ordinal % c.Roads.Length],
            1001 + 2 * (plan.Ordinal / c.Roads.Length), 0, 0, 0, c.Street.OldDistrictName);
    }

    private AddressParts DwellingAddress(in HouseholdPlan plan)
    {
        var c = _gazetteer.Communities[plan.Community];
        var perFloor = c.RoomsPerFloor;
        var perUnit = c.Floors * perFloor;
        var perBuilding = c.Units * perUnit;
        var perCompound = c.Buildings * perBuilding;
        var compound = plan.Ordinal / perCompound;
        var r = plan.Ordinal % perCompound;
        var building = r / perBuilding + 1;
        r %= perBuilding;
        var unit = r / perUnit + 1;
        r %= perUnit;
        var room = (r / perFloor + 1) * 100 + r % perFloor + 1;
        return new AddressParts(c.Street.District.Name, c.Street.Name, c.Roads[compound % c.Roads.Length],
            2 * (7 * (compound / c.Roads.Length) + (c.Index + compound) % 7) + 2, building, unit, room, c.Street.OldDistrictName);
    }

    private void WriteAddress(CsvBuffer buffer, string id, string kind, Community c, in AddressParts parts, long key)
    {
        var rng = Rng.For(_seed, RngStream.Geography, key, 7);
        buffer.Field(id).Field(kind).Field(c.Street.District.Code).Field(c.Street.Code).Field(c.Code).Field(parts.Road).Field(parts.Number);
        if (parts.Building > 0)
        {
            buffer.Field(parts.Building);
        }
        else
        {
            buffer.Empty();
        }
        if (parts.Unit > 0)
        {
            buffer.Field(parts.Unit);
        }
        else
        {
            buffer.Empty();
        }
        if (parts.Room > 0)
        {
            buffer.Field(parts.Room);
        }
        else
        {
            buffer.Empty();
        }
        buffer.Coordinate(c.Lon + (rng.NextDouble() * 2 - 1) * 0.004).Coordinate(c.Lat + (rng.NextDouble() * 2 - 1) * 0.003).Field(parts.Standard).EndRow();
    }

    private static string Size(int employees) => employees switch { < 10 => "micro", < 100 => "small", < 1000 => "medium", _ => "large" };

    private void WriteEnterprises(CityWriter writer)
    {
        var periods = Enumerable.Range(0, 12).Select(m => _options.AsOf.AddMonths(m - 11).ToString("yyyyMM", CultureInfo.InvariantCulture)).ToArray();
        RunBlocks("Enterprises", _enterprises.Length, 4096, (start, end, block) =>
        {
            for (var e = start; e < end; e++)
            {
                WriteEnterprise(e, periods, block);
            }
        }, writer);
    }

    private void WriteEnterprise(int e, string[] periods, BlockBuffers block)
    {
        ref readonly var plan = ref _enterprises[e];
        var rng = Rng.For(_seed, RngStream.Enterprise, e, 1);
        var industry = NamePools.Industries[plan.Industry];
        var c = _gazetteer.Communities[plan.Community];
        var employees = _employees[e];
        var size = Size(employees);
        // A bijection of the index (the multiplier is coprime with the brand space) keeps every name distinct.
        var brand = NamePools.UniqueBrand((e * 7_919L + 104_729) % NamePools.UniqueBrands);
        var name = size == "large" ? $"浙江{brand}{industry.NameWord}集团有限公司" : $"杭州{brand}{industry.NameWord}有限公司";
        var addressId = "W" + (e + 1).ToString("D9", CultureInfo.InvariantCulture);
        var address = WorkplaceAddress(plan);
        WriteAddress(block[CityFile.Addresses], addressId, "workplace", c, address, 100_000_000L + e);

        var legalRep = LegalRepresentative(e);
        var legalRepId = IdOf(legalRep);
        var legalRepName = ResidentText(legalRep).Name;
        var uscc = _uscc[e];
        var status = plan.Status switch { 0 => "active", 1 => "cancelled", _ => "revoked" };
        var layoffs = employees > 0 && rng.Chance(0.3) ? rng.Next(0, employees / 10 + 2) : 0;
        var unemploymentPaid = _insuredWages[e] * 6; // cents: wage × 0.5 % employer rate × 12 months × 100
        var taxes = new long[12];
        long annualTax = 0;
        for (var m = 0; m < 12; m++)
        {
            taxes[m] = plan.Status != 0 ? 0 : (long)((employees * 1800 + 600) * industry.TaxFactor * rng.LogNormal(1, 0.25) * 100);
            annualTax += taxes[m];
            block[CityFile.TaxMonthly].Field(uscc).Field(periods[m]).Money(taxes[m]).EndRow();
        }
        block[CityFile.Enterprises].Field(uscc).Field(name).Field(industry.Code).Field(industry.Name).Field(size).Field(addressId)
            .Field(Date(plan.Established)).Field(legalRepId).Field(employees).Field(_insuredEmployees[e]).Field(layoffs)
            .Money(annualTax).Money(unemploymentPaid).Field(status).EndRow();
        PolicyTruth.Enterprise(block[CityFile.PolicyEligible], uscc, plan.Status == 0, size, industry.Code, _insuredEmployees[e], layoffs, unemploymentPaid, annualTax);

        // 市场监管局: the enterprise registry.
        var qy = new[]
        {
            uscc, name, industry.Code, industry.Name, size, address.Standard, Date(plan.Established),
            plan.Status switch { 0 => "存续", 1 => "注销", _ => "吊销" }, legalRepName,
        };
        var kind = _dirt.Choose(CityFile.ScjgjEnterprises, e, QyDirt, out var dirtRng);
        var (field, dirty) = kind switch
        {
            DirtKind.BadCheckDigit => (0, DirtPlanter.BreakCheckCharacter(uscc, ref dirtRng, CreditAlphabet)),
            DirtKind.AddressVariant => (5, address.Variant(ref dirtRng)),
            DirtKind.MissingField => (8, ""),
            DirtKind.ImpossibleValue => (6, "2099" + qy[6][4..]),
            _ => (0, ""),
        };
        DirtPlanter.Emit(block, CityFile.ScjgjEnterprises, qy, uscc, kind, field, dirty);

        // 税务局: monthly tax due.
        for (var m = 0; m < 12; m++)
        {
            var nsr = new[] { uscc, name, periods[m], Yuan(taxes[m]) };
            var nsrKind = _dirt.Choose(CityFile.SwjTax, e * 12L + m, NsrDirt, out _);
            DirtPlanter.Emit(block, CityFile.SwjTax, nsr, uscc + "|" + periods[m], nsrKind, 3, nsrKind == DirtKind.ImpossibleValue ? Yuan(-taxes[m] - 100_000) : "");
        }

        // 人社局: the insured unit's year.
        var unit = new[] { uscc, Int(_options.AsOf.Year), Int(_insuredEmployees[e]), Yuan(unemploymentPaid), Int(layoffs) };
        var unitKind = _dirt.Choose(CityFile.RsjUnits, e, UnitsDirt, out _);
        DirtPlanter.Emit(block, CityFile.RsjUnits, unit, uscc, unitKind, 2, unitKind == DirtKind.ImpossibleValue ? Int(-_insuredEmployees[e] - 1) : "");
    }

    /// <summary>A living resident aged 25-75 (any resident if the city is too small to have one nearby).</summary>
    private int LegalRepresentative(int enterprise)
    {
        var rng = Rng.For(_seed, RngStream.LegalRep, enterprise);
        var candidate = 0;
        for (var attempt = 0; attempt < 200; attempt++)
        {
            candidate = rng.Next(_residents);
            var age = AgeOf(candidate);
            if ((_flags[candidate] & FlagDead) == 0 && age is >= 25 and <= 75)
            {
                break;
            }
        }
        return candidate;
    }

    private void WriteInstitutions(BlockBuffers block)
    {
        for (var k = 0; k < _institutions.Length; k++)
        {
            ref readonly var plan = ref _institutions[k];
            var c = _gazetteer.Communities[plan.Community];
            var addressId = "I" + (k + 1).ToString("D9", CultureInfo.InvariantCulture);
            var address = InstitutionAddress(plan);
            WriteAddress(block[CityFile.Addresses], addressId, "institution", c, address, 200_000_000L + k);
            block[CityFile.Institutions].Field(_institutionCodes[k]).Field(_institutionNames[k]).Field(InstitutionKinds[plan.Kind]).Field(addressId).EndRow();
            var row = new[] { _institutionCodes[k], _institutionNames[k], plan.Kind == 2 ? "2" : "1", address.Standard };
            var kind = _dirt.Choose(CityFile.YbjInstitutions, k, FixmedinsDirt, out var rng);
            DirtPlanter.Emit(block, CityFile.YbjInstitutions, row, row[0], kind, 3, kind == DirtKind.AddressVariant ? address.Variant(ref rng) : "");
        }
    }
}
