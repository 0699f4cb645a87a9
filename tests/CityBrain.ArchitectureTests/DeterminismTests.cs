using System.Text.RegularExpressions;

namespace CityBrain.ArchitectureTests;

/// <summary>
/// Time and randomness are injected (TimeProvider, a seeded random source), never read from statics, so that the city clock,
/// schedulers and simulations are reproducible in tests (STYLE.md habit 4). Checking IL for this is brittle; the source is
/// scanned instead, line by line, skipping comment lines. Each violation is reported as file:line.
/// </summary>
public sealed partial class DeterminismTests
{
    public static TheoryData<string> Projects => SourceProjects.Names;

    [Theory]
    [MemberData(nameof(Projects))]
    public void Sources_EachProject_ReadNoStaticClock(string project)
    {
        var violations = Scan(SourceProjects.Named(project), StaticClock());

        Assert.True(violations.Count == 0, "Inject a TimeProvider instead of reading the static clock:\n" + string.Join('\n', violations));
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Sources_EachProject_UseNoUnseededRandom(string project)
    {
        var violations = Scan(SourceProjects.Named(project), UnseededRandom());

        Assert.True(violations.Count == 0, "Take a seeded random source instead (cryptographic secrets use RandomNumberGenerator):\n" + string.Join('\n', violations));
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Sources_SyntheticCity_CreateNoRandomGuids(string project)
    {
        // The demo city is generated from a seed: the same seed gives the same city, byte for byte.
        if (project != "CityBrain.SyntheticCity" && !project.StartsWith("CityBrain.SyntheticCity.", StringComparison.Ordinal))
        {
            return;
        }

        var violations = Scan(SourceProjects.Named(project), NewGuid());

        Assert.True(violations.Count == 0, "Derive identifiers from the seed instead:\n" + string.Join('\n', violations));
    }

    [Theory]
    [InlineData("var now = DateTime.UtcNow;", true)]
    [InlineData("var now = DateTime.Now.Date;", true)]
    [InlineData("var day = DateTime.Today;", true)]
    [InlineData("at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()", true)]
    [InlineData("at = System.DateTimeOffset.Now;", true)]
    [InlineData("var t = TimeProvider.System.GetUtcNow();", true)]
    [InlineData("var now = time.GetUtcNow();", false)]
    [InlineData("services.TryAddSingleton(TimeProvider.System);", false)]
    [InlineData("var parsed = DateTime.TryParseExact(text, format, null, DateTimeStyles.None, out _);", false)]
    [InlineData("var nowhere = DateTimeOffset.UnixEpoch;", false)]
    public void StaticClock_Pattern_MatchesOnlyClockReads(string line, bool matches)
    {
        Assert.Equal(matches, StaticClock().IsMatch(line));
    }

    [Theory]
    [InlineData("var random = new Random();", true)]
    [InlineData("var random = new System.Random( );", true)]
    [InlineData("Random random = new();", true)]
    [InlineData("var n = Random.Shared.Next(10);", true)]
    [InlineData("var random = new Random(seed);", false)]
    [InlineData("Random random = new(options.Seed);", false)]
    [InlineData("var key = RandomNumberGenerator.GetBytes(32);", false)]
    public void UnseededRandom_Pattern_MatchesOnlyUnseededSources(string line, bool matches)
    {
        Assert.Equal(matches, UnseededRandom().IsMatch(line));
    }

    [Fact]
    public void Scan_CommentLines_AreSkipped()
    {
        var directory = Directory.CreateTempSubdirectory("citybrain-arch-");
        try
        {
            File.WriteAllLines(Path.Combine(directory.FullName, "Clock.cs"),
            [
                "// Never DateTime.UtcNow here.",
                "/// <summary>Not DateTime.Now either.</summary>",
                "var at = DateTime.UtcNow;",
            ]);
            var project = new SourceProject("CityBrain.Sample", directory.FullName, "CityBrain.Sample", [], []);

            var violations = Scan(project, StaticClock());

            Assert.Equal(["src/CityBrain.Sample/Clock.cs:3: var at = DateTime.UtcNow;"], violations);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static List<string> Scan(SourceProject project, Regex pattern)
    {
        var violations = new List<string>();
        foreach (var file in project.SourceFiles)
        {
            var number = 0;
            foreach (var line in File.ReadLines(file))
            {
                number++;
                var code = line.TrimStart();
                if (code.StartsWith("//", StringComparison.Ordinal) || code.StartsWith('*') || code.StartsWith("/*", StringComparison.Ordinal))
                {
                    continue;
                }
                if (pattern.IsMatch(code))
                {
                    var relative = Path.Combine("src", project.Name, Path.GetRelativePath(project.Directory, file)).Replace('\\', '/');
                    violations.Add($"{relative}:{number}: {code}");
                }
            }
        }
        return violations;
    }

    [GeneratedRegex(@"\bDateTime(Offset)?\s*\.\s*(Now|UtcNow|Today)\b|\bTimeProvider\s*\.\s*System\s*\.\s*Get(UtcNow|LocalNow|Timestamp)\b")]
    private static partial Regex StaticClock();

    [GeneratedRegex(@"\bnew\s+(System\s*\.\s*)?Random\s*\(\s*\)|\bRandom\s*\.\s*Shared\b|\bRandom\s+\w+\s*=\s*new\s*\(\s*\)")]
    private static partial Regex UnseededRandom();

    [GeneratedRegex(@"\bGuid\s*\.\s*NewGuid\s*\(|\bGuid\s*\.\s*CreateVersion7\s*\(")]
    private static partial Regex NewGuid();
}
