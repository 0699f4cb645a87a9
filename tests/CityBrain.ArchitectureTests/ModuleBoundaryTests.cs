using System.Runtime.CompilerServices;

namespace CityBrain.ArchitectureTests;

/// <summary>The rules of <see cref="Boundaries"/> applied to every project under src, found on disk (a new module is a new case).</summary>
public sealed class ModuleBoundaryTests
{
    public static TheoryData<string> Projects => SourceProjects.Names;

    [Fact]
    public void SourceProjects_AllFoundAndLoaded()
    {
        Assert.Contains(SourceProjects.All, p => p.Name == Boundaries.Kernel);
        Assert.Contains(SourceProjects.All, p => p.Name == Boundaries.Hub);
        Assert.Contains(SourceProjects.All, p => p.Role == ProjectRole.Host);
        // The wildcard ProjectReference in this project's .csproj brings every src assembly beside the tests.
        Assert.All(SourceProjects.All, p => Assert.Equal(p.AssemblyName, p.Assembly.GetName().Name));
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void DeclaredReferences_EachProject_StayWithinItsRole(string project)
    {
        var source = SourceProjects.Named(project);

        var forbidden = source.ProjectReferences.Where(r => !Boundaries.MayReference(project, r)).ToList();

        Assert.True(forbidden.Count == 0, $"{project} ({source.Role}) may not reference {string.Join(", ", forbidden)}: see Boundaries.");
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void CompiledReferences_EachProject_StayWithinItsRole(string project)
    {
        var source = SourceProjects.Named(project);

        // What the IL actually uses: catches a project reached through another's references without being declared.
        var forbidden = source.Assembly.GetReferencedAssemblies()
            .Select(a => SourceProjects.ByAssemblyName(a.Name!))
            .OfType<SourceProject>()
            .Where(r => !Boundaries.MayReference(project, r.Name))
            .Select(r => r.Name)
            .ToList();

        Assert.True(forbidden.Count == 0, $"{project} ({source.Role}) uses types of {string.Join(", ", forbidden)}: see Boundaries.");
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void InfrastructureClients_EachProject_OnlyProvidersUseThem(string project)
    {
        var source = SourceProjects.Named(project);
        if (Boundaries.MayUseInfrastructureClient(project))
        {
            return;
        }

        var used = source.PackageReferences
            .Concat(source.Assembly.GetReferencedAssemblies().Select(a => a.Name!))
            .Where(Boundaries.IsInfrastructureClient)
            .Distinct(StringComparer.Ordinal)
            .ToList();

        Assert.True(used.Count == 0, $"{project} uses {string.Join(", ", used)} directly: go through the Kernel's IOperationalStore (or bus port) instead.");
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void InternalsVisibleTo_EachProject_GrantedOnlyToTestsAndBenchmarks(string project)
    {
        var friends = SourceProjects.Named(project).Assembly.GetCustomAttributes(typeof(InternalsVisibleToAttribute), inherit: false)
            .Cast<InternalsVisibleToAttribute>()
            .Select(a => a.AssemblyName.Split(',')[0].Trim())
            .ToList();

        // A module that saw another's internals would depend on more than its public contract.
        var wrong = friends.Where(f => SourceProjects.ByAssemblyName(f) is not null || !(f.EndsWith(".Tests", StringComparison.Ordinal) || f == "CityBrain.Benchmarks")).ToList();

        Assert.True(wrong.Count == 0, $"{project} shows its internals to {string.Join(", ", wrong)}; only test projects and CityBrain.Benchmarks may see them.");
    }

    [Theory]
    // The rules themselves, on projects that do not exist yet: each line is a decision, and each can fail.
    [InlineData("CityBrain.Kernel", "CityBrain.Hub", false)]
    [InlineData("CityBrain.Kernel", "CityBrain.Storage.Sqlite", false)]
    [InlineData("CityBrain.Storage.Sqlite", "CityBrain.Kernel", true)]
    [InlineData("CityBrain.Storage.DuckDb", "CityBrain.Storage.Sqlite", false)]
    [InlineData("CityBrain.Messaging.Nats", "CityBrain.Hub", false)]
    [InlineData("CityBrain.Hub", "CityBrain.Kernel", true)]
    [InlineData("CityBrain.Hub", "CityBrain.Host", false)]
    [InlineData("CityBrain.Hub", "CityBrain.Storage.Postgres", false)]
    [InlineData("CityBrain.Hub", "CityBrain.Data", false)]
    [InlineData("CityBrain.Data", "CityBrain.Hub", true)]
    [InlineData("CityBrain.Data", "CityBrain.Storage.Sqlite", false)]
    [InlineData("CityBrain.Scenarios.PolicyDirect", "CityBrain.Hub", true)]
    [InlineData("CityBrain.Scenarios.PolicyDirect", "CityBrain.Kernel", true)]
    [InlineData("CityBrain.Scenarios.PolicyDirect", "CityBrain.Scenarios.Traffic", false)]
    [InlineData("CityBrain.Scenarios.Traffic", "CityBrain.Cockpit", false)]
    [InlineData("CityBrain.Scenarios.Traffic", "CityBrain.Host", false)]
    [InlineData("CityBrain.SyntheticCity.Departments", "CityBrain.SyntheticCity", true)]
    [InlineData("CityBrain.SyntheticCity", "CityBrain.SyntheticCity.Departments", false)]
    [InlineData("CityBrain.SyntheticCityExtras", "CityBrain.SyntheticCity", false)]
    [InlineData("CityBrain.Host", "CityBrain.Scenarios.Traffic", true)]
    public void MayReference_RoleRules_AsDocumented(string from, string to, bool allowed)
    {
        Assert.Equal(allowed, Boundaries.MayReference(from, to));
    }

    [Theory]
    [InlineData("CityBrain.Storage.Postgres", "Npgsql", true)]
    [InlineData("CityBrain.Storage.Sqlite", "Microsoft.Data.Sqlite", true)]
    [InlineData("CityBrain.Hub", "Npgsql", false)]
    [InlineData("CityBrain.Data", "DuckDB.NET.Data", true)] // the lake engine, embedded (see Boundaries)
    [InlineData("CityBrain.Scenarios.Policy", "DuckDB.NET.Data", true)] // its profile tables, embedded (see Boundaries)
    [InlineData("CityBrain.Scenarios.Traffic", "DuckDB.NET.Data", false)]
    [InlineData("CityBrain.Host", "Microsoft.Data.Sqlite", false)]
    [InlineData("CityBrain.SyntheticCity.Departments", "Microsoft.Data.Sqlite", true)]
    public void InfrastructureClient_RoleRules_AsDocumented(string project, string client, bool allowed)
    {
        Assert.True(Boundaries.IsInfrastructureClient(client));
        Assert.Equal(allowed, Boundaries.MayUseInfrastructureClient(project));
    }
}
