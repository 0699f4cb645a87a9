namespace CityBrain.ArchitectureTests;

/// <summary>
/// Types are internal by default; a project's public types are its contract with the rest of the platform. Each project's
/// public types are listed in PublicSurface/&lt;project&gt;.txt, so that the surface never grows (or shrinks) silently: a change
/// fails here until the list is updated in the same commit, where the reviewer sees it.
/// </summary>
public sealed class PublicSurfaceTests
{
    public static TheoryData<string> Projects => SourceProjects.Names;

    [Theory]
    [MemberData(nameof(Projects))]
    public void PublicTypes_EachProject_MatchTheApprovedList(string project)
    {
        var listFile = Path.Combine(SourceProjects.RepositoryRoot, "tests", "CityBrain.ArchitectureTests", "PublicSurface", project + ".txt");
        var approved = File.Exists(listFile)
            ? File.ReadLines(listFile).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToHashSet(StringComparer.Ordinal)
            : [];

        var actual = SourceProjects.Named(project).Assembly.GetExportedTypes().Select(t => t.FullName!).ToHashSet(StringComparer.Ordinal);

        var added = actual.Except(approved).Order(StringComparer.Ordinal).ToList();
        var removed = approved.Except(actual).Order(StringComparer.Ordinal).ToList();
        Assert.True(added.Count == 0 && removed.Count == 0,
            $"""
            The public surface of {project} changed. If that is intended, update {Path.GetRelativePath(SourceProjects.RepositoryRoot, listFile)} in the same commit; otherwise make the new types internal.
            Now public but not listed: {(added.Count == 0 ? "none" : string.Join(", ", added))}
            Listed but no longer public: {(removed.Count == 0 ? "none" : string.Join(", ", removed))}
            """);
    }

    [Fact]
    public void ApprovedLists_EachFile_BelongsToASourceProject()
    {
        // A list left behind by a renamed or removed project would approve nothing and mislead the reader.
        var directory = Path.Combine(SourceProjects.RepositoryRoot, "tests", "CityBrain.ArchitectureTests", "PublicSurface");
        var orphans = Directory.EnumerateFiles(directory, "*.txt")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(name => SourceProjects.All.All(p => p.Name != name))
            .ToList();

        Assert.Empty(orphans);
    }
}
