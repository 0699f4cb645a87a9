namespace CityBrain.Kernel.Tests.Identifiers;

/// <summary>The real division codes in ../shared/datasets/divisions beside the repository (see its SOURCE.md).</summary>
internal static class DivisionData
{
    public static IEnumerable<string[]> Read(string file)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityBrain.slnx")))
        {
            directory = directory.Parent;
        }
        var path = Path.Combine(directory?.Parent?.FullName ?? throw new InvalidOperationException("CityBrain.slnx not found above the test binaries"),
            "shared", "datasets", "divisions", file);
        // Header first; codes are the first column and never quoted.
        return File.ReadLines(path).Skip(1).Where(line => line.Length > 0).Select(line => line.Split(','));
    }
}
