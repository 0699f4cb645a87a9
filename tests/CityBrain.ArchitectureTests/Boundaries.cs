namespace CityBrain.ArchitectureTests;

/// <summary>
/// Which project may reference which (docs: ARCHITECTURE.md "Modules", STYLE.md habit 7). By role:
/// <list type="bullet">
/// <item>Kernel references no other CityBrain project: everything builds on it.</item>
/// <item>A provider (Storage.*, Messaging.*) references Kernel only: it implements a port and knows no module.</item>
/// <item>
/// A module references Kernel and the Hub, whose public types are the contracts that every consumer uses (scenarios are
/// ordinary hub consumers); a part of a larger module (CityBrain.SyntheticCity.Departments) may also reference the module
/// it is part of (CityBrain.SyntheticCity). Never another module, a provider or the Host: a module gets its store and bus
/// through the Kernel's ports, and speaks to other modules through events on the bus. So the Hub references Kernel only.
/// </item>
/// <item>The Host is the composition root: it references anything, and nothing references it.</item>
/// </list>
/// A module cannot see the Hub's internals either: <see cref="ModuleBoundaryTests.InternalsVisibleTo_EachProject_GrantedOnlyToTestsAndBenchmarks"/>.
/// To allow more, change this class in a reviewed commit and say why here.
/// </summary>
public static class Boundaries
{
    public const string Kernel = "CityBrain.Kernel";
    public const string Hub = "CityBrain.Hub";

    /// <summary>Client libraries of databases and brokers: only providers talk to them.</summary>
    private static readonly string[] InfrastructureClientPrefixes = ["Npgsql", "Microsoft.Data.Sqlite", "DuckDB.NET", "NATS."];

    public static bool MayReference(string from, string to)
    {
        if (from == to)
        {
            return false;
        }
        return SourceProject.RoleOf(from) switch
        {
            ProjectRole.Kernel => false,
            ProjectRole.Provider => to == Kernel,
            ProjectRole.Host => true,
            _ => to == Kernel || to == Hub || (SourceProject.RoleOf(to) == ProjectRole.Module && from.StartsWith(to + ".", StringComparison.Ordinal)),
        };
    }

    /// <summary>
    /// Providers reach databases and brokers; modules use the Kernel's ports. The exception is honest and narrow: the
    /// synthetic city's department systems (CityBrain.SyntheticCity*) stand in for the departments' own systems outside the
    /// platform, each with its own database (ARCHITECTURE.md: "real HTTP services with their own databases"). The data module
    /// (CityBrain.Data) embeds DuckDB as its lake engine: the lake's file format, versioned tables and views are the
    /// module's own data, not the operational store behind the Kernel's port, so there is no provider to put them behind; datasets and
    /// analytics are DuckDB SQL over the lake, set-based over millions of rows (ARCHITECTURE.md, "Storage and scale").
    /// Policy direct-reach (CityBrain.Scenarios.Policy) matches its rules the same way: its profile tables are a DuckDB database
    /// of its own, built from the datasets and queried with one SQL statement per policy over the whole city (docs/policy.md);
    /// its ledger stays in the operational store, behind the Kernel's port.
    /// </summary>
    public static bool MayUseInfrastructureClient(string project) =>
        SourceProject.RoleOf(project) == ProjectRole.Provider || project == "CityBrain.Data" || project == "CityBrain.Scenarios.Policy" ||
        project == "CityBrain.SyntheticCity" || project.StartsWith("CityBrain.SyntheticCity.", StringComparison.Ordinal);

    public static bool IsInfrastructureClient(string packageOrAssembly) =>
        InfrastructureClientPrefixes.Any(prefix => packageOrAssembly.StartsWith(prefix, StringComparison.Ordinal));
}
