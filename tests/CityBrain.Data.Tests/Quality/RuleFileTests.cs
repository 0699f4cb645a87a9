using CityBrain.Data.Quality;
using CityBrain.Kernel.Errors;

namespace CityBrain.Data.Tests.Quality;

public sealed class RuleFileTests
{
    [Fact]
    public void Parse_UnknownFormatAndBadReference_RefusedNamingFileDatasetAndField()
    {
        const string yaml = """
            datasets:
              cgj_cases:
                unit: cgj
                key: [case_id]
                fields:
                  case_id: { format: passport }
                  street: { references: streets }
            """;

        var error = Assert.Throws<ValidationFailedException>(() => QualityRuleSet.Parse(yaml, "city-rules.yaml"));

        var problems = Assert.Single(error.Errors!);
        Assert.Equal("city-rules.yaml: datasets.cgj_cases", problems.Key);
        Assert.Contains(problems.Value, p => p.Contains("fields.case_id.format: 'passport'", StringComparison.Ordinal));
        Assert.Contains(problems.Value, p => p.Contains("fields.street.references", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_BrokenYaml_RefusedWithTheLine()
    {
        var error = Assert.Throws<ValidationFailedException>(() => QualityRuleSet.Parse("datasets:\n  a: [unclosed\n", "broken.yaml"));

        Assert.Contains("broken.yaml", error.Errors!.Keys);
        Assert.Contains("line", Assert.Single(error.Errors!["broken.yaml"]), StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_CityFileRedeclaresADataset_ReplacesTheEmbeddedRules()
    {
        var city = QualityRuleSet.Parse("""
            datasets:
              gaj_rk:
                unit: gaj
                key: [SFZH]
                fields:
                  SFZH: { required: true }
            """, "city.yaml");

        var merged = QualityRuleSet.DemoCity().Merge(city);

        Assert.Equal(["SFZH"], merged.Datasets["gaj_rk"].Fields.Keys);
        Assert.True(merged.Datasets.ContainsKey("rsj_persons"));
        Assert.NotNull(merged.Consistency.Deaths);
    }
}
