using CityBrain.Data.Classification;

namespace CityBrain.Data.Tests.Classification;

/// <summary>Every department dataset of the demo city, sampled from its view: each personal column found with its level, nothing else.</summary>
public sealed class DepartmentDatasetClassificationTests(GeneratedCity city)
{
    private const PersonalLevel P = PersonalLevel.Personal;
    private const PersonalLevel S = PersonalLevel.SensitivePersonal;

    // The columns whose content is one of the detectable categories (resident IDs, phones, names, addresses,
    // health codes), with the level the departments themselves declare for them (docs/synthetic-city.md, the registry).
    private static readonly Dictionary<string, (string Column, PersonalCategory Category, PersonalLevel Level)[]> Expected = new()
    {
        ["gaj_rk"] = [("SFZH", PersonalCategory.ResidentId, S), ("XM", PersonalCategory.Name, P), ("JZDZ", PersonalCategory.Address, P), ("LXDH", PersonalCategory.Phone, P)],
        ["mzj_dibao"] = [("idNumber", PersonalCategory.ResidentId, S), ("name", PersonalCategory.Name, P)],
        ["mzj_disability"] = [("idNumber", PersonalCategory.ResidentId, S), ("name", PersonalCategory.Name, P)],
        ["mzj_deaths"] = [("idNumber", PersonalCategory.ResidentId, S), ("name", PersonalCategory.Name, P)],
        ["rsj_persons"] = [("id_no", PersonalCategory.ResidentId, S), ("name", PersonalCategory.Name, P)],
        ["rsj_insurance"] = [("id_no", PersonalCategory.ResidentId, S)],
        ["rsj_units"] = [],
        ["scjgj_qy"] = [("lerep", PersonalCategory.Name, P)],
        ["swj_nsr"] = [],
        ["wjw_births"] = [("child_id", PersonalCategory.ResidentId, S), ("child_name", PersonalCategory.Name, P), ("mother_id", PersonalCategory.ResidentId, S)],
        ["wjw_death_certificates"] = [("person_id", PersonalCategory.ResidentId, S), ("cause_icd10", PersonalCategory.Health, S)],
        ["ybj_insured"] = [("psn_no", PersonalCategory.ResidentId, S), ("psn_name", PersonalCategory.Name, P)],
        ["ybj_setl"] = [("psn_no", PersonalCategory.ResidentId, S)],
        ["ybj_fixmedins"] = [],
        ["jtj_vehicles"] = [("syr", PersonalCategory.Name, P), ("sfzh", PersonalCategory.ResidentId, S)],
        ["jtj_parking"] = [],
    };

    public static TheoryData<string> Datasets => [.. Expected.Keys.Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Datasets))]
    public async Task ClassifyAsync_DepartmentDataset_FindsEachPersonalColumnWithItsLevel(string dataset)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var lake = await city.OpenLakeAsync(cancellationToken);

        var columns = await ColumnClassifier.ClassifyAsync(lake, dataset, dataset, cancellationToken);

        var found = columns.Where(c => c.PersonalLevel != PersonalLevel.None)
            .Select(c => (c.Column, c.Category, c.PersonalLevel)).Order().ToList();
        Assert.Equal(Expected[dataset].Order().ToList(), found);
        Assert.All(columns.Where(c => c.PersonalLevel != PersonalLevel.None), c =>
        {
            Assert.NotEmpty(c.Evidence);
            Assert.InRange(c.Confidence, 0.8, 1);
            Assert.NotNull(c.Mask);
        });
        Assert.All(columns.Where(c => c.PersonalLevel == PersonalLevel.SensitivePersonal), c => Assert.Equal(DataLevel.Important, c.DataLevel));
    }

    [Fact]
    public async Task ClassifyAsync_OrganisationAddresses_AreNotPersonal()
    {
        // Enterprises' and institutions' addresses look like any address; with no person in the dataset they are not personal.
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var lake = await city.OpenLakeAsync(cancellationToken);

        var dom = (await ColumnClassifier.ClassifyAsync(lake, "scjgj_qy", "scjgj_qy", cancellationToken)).Single(c => c.Column == "dom");

        Assert.Equal(PersonalLevel.None, dom.PersonalLevel);
        Assert.Contains(dom.Evidence, e => e.Contains("organisation", StringComparison.Ordinal));
    }

    [Fact]
    public void Classify_BankCardsAndCoordinatePairs_AreSensitivePersonal()
    {
        // The demo city's departments hold no bank cards or coordinates; a dataset that does, with a person's phone.
        string?[][] rows =
        [
            ["6222021234567890128", "13812345678", "120.153576", "30.287459"],
            ["4111111111111111", "13912345678", "120.219375", "30.259244"],
            ["6228480402564890018", "15012345678", "120.130203", "30.272934"],
        ];

        var columns = ColumnClassifier.Classify("bank_accounts", ["yhkh", "mobile", "lng", "lat"], rows);

        Assert.Equal(
            [(PersonalCategory.BankCard, S, "bank-card"), (PersonalCategory.Phone, P, "phone"), (PersonalCategory.Coordinates, S, "generic"), (PersonalCategory.Coordinates, S, "generic")],
            columns.Select(c => (c.Category, c.PersonalLevel, c.Mask)));
    }

    [Fact]
    public void Classify_LonelyDecimalColumn_IsNotACoordinate()
    {
        string?[][] rows = [["120.153576"], ["120.219375"]];

        var column = Assert.Single(ColumnClassifier.Classify("readings", ["value"], rows));

        Assert.Equal(PersonalLevel.None, column.PersonalLevel);
    }
}
