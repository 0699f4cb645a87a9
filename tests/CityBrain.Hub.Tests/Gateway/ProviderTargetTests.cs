using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace CityBrain.Hub.Tests.Gateway;

public sealed class ProviderTargetTests
{
    private static readonly RegisteredInterface Household = new("police-pop", "household", "户籍查询", "GET", "/households/{hh}/members",
        SharingType.Conditional,
        [
            new InterfaceParameter("hh", "path", true),
            new InterfaceParameter("sfzh", "query", true, "resident-id"),
            new InterfaceParameter("page", "query", false, "integer"),
        ],
        [new InterfaceField("XM", FieldLevel.Personal)]);

    private static QueryCollection Query(params (string Key, string Value)[] pairs) =>
        new(pairs.ToDictionary(p => p.Key, p => new StringValues(p.Value)));

    [Fact]
    public void Resolve_FullOrShortForm_BuildsOnlyTheTemplatePath()
    {
        var full = ProviderTarget.Resolve(Household, "households/H001/members", Query(("sfzh", "33010619900101123x"), ("page", "2")));
        var shortForm = ProviderTarget.Resolve(Household, "H001", Query(("sfzh", "33010619900101123X")));

        Assert.Equal("/households/H001/members?sfzh=33010619900101123X&page=2", full.PathAndQuery);
        Assert.Equal("/households/H001/members?sfzh=33010619900101123X", shortForm.PathAndQuery);
        Assert.Equal(["33010619900101123X"], full.SubjectIds);
    }

    [Theory]
    [InlineData("households/H001/members/../../admin", "path")]
    [InlineData("households/%2e%2e/members", "path")]
    [InlineData("households/a%2Fb/members", "path")]
    [InlineData("households/a%5Cb/members", "path")]
    [InlineData("households/H001/secrets", "path")]
    [InlineData("admin/H001/members", "path")]
    [InlineData("households//members", "path")]
    public void Resolve_PathTricks_Refused(string rest, string field)
    {
        var error = Assert.Throws<ValidationFailedException>(() => ProviderTarget.Resolve(Household, rest, Query(("sfzh", "33010619900101123X"))));
        Assert.True(error.Errors!.ContainsKey(field));
    }

    [Fact]
    public void Resolve_BadParameters_NamedInTheError()
    {
        Assert.True(Assert.Throws<ValidationFailedException>(() => ProviderTarget.Resolve(Household, "H001", Query(("sfzh", "330106199001011234"))))
            .Errors!.ContainsKey("sfzh"));
        Assert.True(Assert.Throws<ValidationFailedException>(() => ProviderTarget.Resolve(Household, "H001", Query()))
            .Errors!.ContainsKey("sfzh"));
        Assert.True(Assert.Throws<ValidationFailedException>(() => ProviderTarget.Resolve(Household, "H001", Query(("sfzh", "33010619900101123X"), ("all", "true"))))
            .Errors!.ContainsKey("all"));
        Assert.True(Assert.Throws<ValidationFailedException>(() => ProviderTarget.Resolve(Household, "H001", Query(("sfzh", "33010619900101123X"), ("page", "two"))))
            .Errors!.ContainsKey("page"));
    }
}
