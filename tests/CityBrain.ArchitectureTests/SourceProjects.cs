using System.Reflection;
using System.Xml.Linq;

namespace CityBrain.ArchitectureTests;

/// <summary>What a project under src is for; the rules differ by role.</summary>
public enum ProjectRole
{
    /// <summary>CityBrain.Kernel: identifiers, errors, the store and bus ports. Depends on no other CityBrain project.</summary>
    Kernel,

    /// <summary>CityBrain.Storage.*, CityBrain.Messaging.*: one provider behind a Kernel port.</summary>
    Provider,

    /// <summary>CityBrain.Host: the composition root, the only project that sees everything.</summary>
    Host,

    /// <summary>Everything else: Hub, Data, Sensing, Cockpit, SyntheticCity, Scenarios.* ...</summary>
    Module,
}

/// <summary>A project under src as its .csproj declares it, with the assembly it builds.</summary>
public sealed record SourceProject(string Name, string Directory, string AssemblyName, IReadOnlyList<string> ProjectReferences, IReadOnlyList<string> PackageReferences)
{
    public ProjectRole Role => RoleOf(Name);

    public static ProjectRole RoleOf(string name) => name switch
    {
        "CityBrain.Kernel" => ProjectRole.Kernel,
        "CityBrain.Host" => ProjectRole.Host,
        _ when name.StartsWith("CityBrain.Storage.", StringComparison.Ordinal) || name.StartsWith("CityBrain.Messaging.", StringComparison.Ordinal) => ProjectRole.Provider,
        _ => ProjectRole.Module,
    };

    public Assembly Assembly => Assembly.Load(new AssemblyName(AssemblyName));

    /// <summary>Every C# file of the project, build output excluded.</summary>
    public IEnumerable<string> SourceFiles => System.IO.Directory.EnumerateFiles(Directory, "*.cs", SearchOption.AllDirectories)
        .Where(f => !Path.GetRelativePath(Directory, f).Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj"))
        .Order(StringComparer.Ordinal);
}

public static class SourceProjects
{
    private static readonly Lazy<IReadOnlyList<SourceProject>> Projects = new(Discover);

    public static string RepositoryRoot { get; } = FindRoot();

    public static IReadOnlyList<SourceProject> All => Projects.Value;

    public static SourceProject Named(string name) => All.Single(p => p.Name == name);

    /// <summary>Project names as theory data: a project added under src becomes a new case of every rule.</summary>
    public static TheoryData<string> Names => new(All.Select(p => p.Name));

    public static SourceProject? ByAssemblyName(string assemblyName) => All.SingleOrDefault(p => p.AssemblyName == assemblyName);

    private static List<SourceProject> Discover()
    {
        var projects = new List<SourceProject>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(RepositoryRoot, "src"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            var xml = XDocument.Load(file);
            var assemblyName = xml.Descendants("AssemblyName").Select(e => e.Value.Trim()).FirstOrDefault() ?? name;
            var references = xml.Descendants("ProjectReference")
                .Select(e => Path.GetFileNameWithoutExtension(((string?)e.Attribute("Include") ?? "").Replace('\\', '/')))
                .Order(StringComparer.Ordinal).ToList();
            var packages = xml.Descendants("PackageReference").Select(e => (string?)e.Attribute("Include") ?? "").Order(StringComparer.Ordinal).ToList();
            projects.Add(new SourceProject(name, Path.GetDirectoryName(file)!, assemblyName, references, packages));
        }
        return projects;
    }

    private static string FindRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityBrain.slnx")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException($"CityBrain.slnx not found above {AppContext.BaseDirectory}");
    }
}
