using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.TestSupport;

namespace CityBrain.Hub.Tests.Registry;

public sealed class RegistryTests
{
    public static TheoryData<string> Stores => TestStores.Kinds;

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Apply_File_RegistersEverythingAndAnswersSecretsOnce(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        var first = await hub.RegisterCityAsync();
        Assert.Equal((3, 2, 1), (first.Units, first.Systems, first.Interfaces));
        Assert.Equal(["mz-dibao", "police-pop"], first.ClientSecrets.Keys.Order(StringComparer.Ordinal));

        var again = await hub.RegisterCityAsync();
        Assert.Empty(again.ClientSecrets); // re-applying the same file updates; it does not reissue secrets

        var registry = hub.Get<IRegistryReader>();
        var person = await registry.FindInterfaceAsync("police-pop", "person", CancellationToken.None);
        Assert.Equal(FieldLevel.SensitivePersonal, person!.Fields.Single(f => f.Name == "SFZH").Level);
        Assert.Equal("resident-id", person.Parameters.Single().Format);
        Assert.Equal("dsj", (await registry.FindUnitAsync("gaj", CancellationToken.None))!.Parent);
    }

    [Fact]
    public void Parse_BrokenYaml_SaysLineAndColumn()
    {
        var error = Assert.Throws<ValidationFailedException>(() => RegistryFile.Parse("units:\n  - code: gaj\n    nmae: 公安局\n", yaml: true));
        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Apply_InvalidFile_EveryProblemNamedByItsPlaceAndNothingWritten(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        var manifest = RegistryFile.Parse("""
            units:
              - { code: gaj, name: 公安局, divisionCode: "123" }
              - { code: ok, name: 好单位, divisionCode: "330100" }
            systems:
              - code: Police Pop
                unit: nowhere
                name: x
                baseUrl: ftp://example
                interfaces:
                  - { code: p, name: p, method: FETCH, path: "persons/{id}", fields: [ { name: XM, level: secret } ] }
            """, yaml: true);

        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => hub.Get<IRegistryAdmin>().ApplyAsync(manifest, HubServices.Admin, CancellationToken.None));

        Assert.Contains("units[0].divisionCode", error.Errors!.Keys);
        Assert.Contains("systems[0].code", error.Errors.Keys);
        Assert.Contains("systems[0].baseUrl", error.Errors.Keys);
        Assert.Contains("systems[0].interfaces[0].method", error.Errors.Keys);
        Assert.Contains("systems[0].interfaces[0].path", error.Errors.Keys);
        Assert.Contains("systems[0].interfaces[0].fields[0].level", error.Errors.Keys);
        Assert.Null(await hub.Get<IRegistryReader>().FindUnitAsync("ok", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Apply_UnknownReferences_NamedAndNothingWritten(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        var manifest = RegistryFile.Parse("""
            units: [ { code: gaj, name: 公安局, divisionCode: "330100", parent: nobody } ]
            systems: [ { code: s1, unit: ghost, name: s, baseUrl: "http://127.0.0.1:1" } ]
            """, yaml: true);
        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => hub.Get<IRegistryAdmin>().ApplyAsync(manifest, HubServices.Admin, CancellationToken.None));
        Assert.Contains("units[0].parent", error.Errors!.Keys);
        Assert.Contains("systems[0].unit", error.Errors.Keys);
        Assert.Null(await hub.Get<IRegistryReader>().FindUnitAsync("gaj", CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Apply_UnitOperator_OnlyItsOwnRegistrations(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var admin = hub.Get<IRegistryAdmin>();
        var gaj = new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null);
        var own = RegistryFile.Parse("systems: [ { code: gaj-car, unit: gaj, name: 车驾管, baseUrl: \"http://127.0.0.1:1\" } ]", yaml: true);
        var foreign = RegistryFile.Parse("systems: [ { code: mz-new, unit: mzj, name: 新系统, baseUrl: \"http://127.0.0.1:1\" } ]", yaml: true);
        var takeover = RegistryFile.Parse("systems: [ { code: mz-dibao, unit: gaj, name: 抢过来, baseUrl: \"http://127.0.0.1:1\" } ]", yaml: true);
        var unit = RegistryFile.Parse("units: [ { code: new, name: 新单位, divisionCode: \"330100\" } ]", yaml: true);

        Assert.Equal(1, (await admin.ApplyAsync(own, gaj, CancellationToken.None)).Systems);
        await Assert.ThrowsAsync<ForbiddenException>(() => admin.ApplyAsync(foreign, gaj, CancellationToken.None));
        await Assert.ThrowsAsync<ForbiddenException>(() => admin.ApplyAsync(takeover, gaj, CancellationToken.None));
        await Assert.ThrowsAsync<ForbiddenException>(() => admin.ApplyAsync(unit, gaj, CancellationToken.None));
        Assert.Equal("mzj", (await hub.Get<IRegistryReader>().FindSystemAsync("mz-dibao", CancellationToken.None))!.Unit);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Apply_ThousandsOfInterfaces_OneTransaction(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var manifest = new RegistryManifest
        {
            Systems = [new SystemSpec
            {
                Code = "bulk", Unit = "gaj", Name = "批量", BaseUrl = "http://127.0.0.1:1",
                Interfaces = Enumerable.Range(0, 2000).Select(i => new InterfaceSpec
                {
                    Code = $"op-{i}", Name = $"接口{i}", Method = "GET", Path = $"/items/{i}/{{id}}",
                    Fields = [new FieldSpec { Name = "XM", Level = "personal" }, new FieldSpec { Name = "ZT", Level = "public" }],
                }).ToList(),
            }],
        };
        var result = await hub.Get<IRegistryAdmin>().ApplyAsync(manifest, HubServices.Admin, CancellationToken.None);
        Assert.Equal(2000, result.Interfaces);
        Assert.Equal("/items/1999/{id}", (await hub.Get<IRegistryReader>().FindInterfaceAsync("bulk", "op-1999", CancellationToken.None))!.Path);
    }

    [Fact]
    public void ImportOpenApi_Operations_BecomeInterfacesWithClassifiedFields()
    {
        var specs = OpenApiImporter.Import("""
            openapi: 3.0.3
            info: { title: 人口库, version: "1" }
            paths:
              /persons/{sfzh}:
                get:
                  operationId: getPerson
                  summary: 人口基本信息
                  parameters:
                    - { name: sfzh, in: path, required: true, schema: { type: string }, x-format: resident-id }
                    - { name: fields, in: query, schema: { type: string } }
                  responses:
                    "200":
                      content:
                        application/json:
                          schema: { $ref: "#/components/schemas/Person" }
              /persons:
                post:
                  operationId: searchPersons
                  x-sharing: not-shared
                  responses:
                    "200":
                      content:
                        application/json:
                          schema:
                            type: object
                            properties:
                              items: { type: array, items: { $ref: "#/components/schemas/Person" } }
            components:
              schemas:
                Person:
                  type: object
                  properties:
                    XM: { type: string }
                    SFZH: { type: string }
                    SJHM: { type: string }
                    ZZ: { type: object, properties: { DZ: { type: string }, YB: { type: string, x-level: public } } }
            """, yaml: true);

        var get = specs.Single(s => s.Code == "get-person");
        Assert.Equal("GET", get.Method);
        Assert.Equal("resident-id", get.Parameters.Single(p => p.Name == "sfzh").Format);
        Assert.Equal(["SFZH", "SJHM", "XM", "ZZ.DZ", "ZZ.YB"], get.Fields.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.Equal("sensitive-personal", get.Fields.Single(f => f.Name == "SFZH").Level);
        Assert.Equal("personal", get.Fields.Single(f => f.Name == "ZZ.DZ").Level);
        Assert.Equal("public", get.Fields.Single(f => f.Name == "ZZ.YB").Level);
        var search = specs.Single(s => s.Code == "search-persons");
        Assert.Equal("not-shared", search.Sharing);
        Assert.Contains(search.Fields, f => f.Name == "items.XM");
    }
}
