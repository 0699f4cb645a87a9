using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Rules;
using CityBrain.TestSupport;
using DuckDB.NET.Data;
using Npgsql;

namespace CityBrain.Scenarios.Policy.Tests;

public sealed class MatchingTests(DemoCity city)
{
    private static PolicyDefinition Policy(string id) => PolicyLoader.Shipped().Single(p => p.Id == id);

    private async Task<(DuckDBConnection Connection, DateOnly AsOf)> ProfilesAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var asOf = await GroundTruthCheck.AsOfAsync(city.CityDirectory, ct);
        var connection = await ProfileBuilder.OpenCityAsync(city.CityDirectory, ct);
        await ProfileBuilder.BuildAsync(connection, asOf, ct);
        return (connection, asOf);
    }

    [Fact]
    public async Task Check_DirtyDemoCity_EveryPolicyFindsExactlyTheTrueBeneficiaries()
    {
        var results = await GroundTruthCheck.RunAsync(city.CityDirectory, PolicyLoader.Shipped(), TestContext.Current.CancellationToken);

        Assert.Equal(10, results.Count);
        Assert.All(results, r =>
        {
            Assert.True(r.Truth > 0, $"{r.Policy}: the demo city should have beneficiaries");
            Assert.True(r.Missed.Count == 0 && r.Wrong.Count == 0, $"{r.Policy}: missed {string.Join(", ", r.Missed)}; wrongly found {string.Join(", ", r.Wrong)}");
            Assert.Equal((1.0, 1.0), (r.Precision, r.Recall));
        });
    }

    [Fact]
    public async Task Match_DeadStillAliveInOneDepartment_BlockedWithTheReason()
    {
        // Planted: the dead who still draw 低保 (a dibao record that should not exist) or are alive in the population register.
        var staleDibao = city.Rows("truth/dirt.csv").Where(r => r[0] == "stale-death" && r[2] == "dibao.csv").Select(r => r[3]).ToHashSet();
        Assert.NotEmpty(staleDibao);
        var (connection, asOf) = await ProfilesAsync();
        await using var _ = connection;

        var matches = await PolicyMatcher.MatchAsync(connection, Policy("dibao-monthly"), asOf, TestContext.Current.CancellationToken);

        // Blocked: the dead, and those who moved out of the city whom civil affairs still pays (another test).
        var dead = matches.Where(m => m.Blocked && !m.Reason!.StartsWith("moved-out", StringComparison.Ordinal)).ToList();
        Assert.Equal(staleDibao.Order(), dead.Select(m => m.Subject).Order());
        Assert.All(dead, m => Assert.Contains("deceased per", m.Reason, StringComparison.Ordinal));
        Assert.DoesNotContain(matches, m => !m.Blocked && staleDibao.Contains(m.Subject));
    }

    [Fact]
    public async Task Match_LeaversTheRuleStillHoldsFor_BlockedAsMovedOutExactlyThePlantedOnes()
    {
        var ct = TestContext.Current.CancellationToken;
        var (connection, asOf) = await ProfilesAsync();
        await using var _ = connection;
        var leavers = city.Leavers();
        // What the truth says each rule would find among the leavers: the police register still shows their age and local
        // hukou; civil affairs still pays 低保 to those it has not caught up with.
        var expected = new Dictionary<string, IEnumerable<string>>
        {
            ["elderly-allowance"] = leavers.Where(l => city.Age(l.Id, asOf) >= 80).Select(l => l.Id),
            ["childcare-subsidy"] = leavers.Where(l => city.Age(l.Id, asOf) < 3).Select(l => l.Id),
            ["dibao-monthly"] = leavers.Where(l => l.StillListedBy.Contains("mzj.dibao", StringComparison.Ordinal)).Select(l => l.Id),
        };
        Assert.NotEmpty(expected["elderly-allowance"]);
        Assert.NotEmpty(expected["childcare-subsidy"]);

        foreach (var (id, planted) in expected)
        {
            var matches = await PolicyMatcher.MatchAsync(connection, Policy(id), asOf, ct);

            var movedOut = matches.Where(m => m.Reason?.StartsWith("moved-out", StringComparison.Ordinal) == true).ToList();
            Assert.Equal(planted.Order(StringComparer.Ordinal), movedOut.Select(m => m.Subject).Order(StringComparer.Ordinal));
            Assert.All(movedOut, m =>
            {
                Assert.True(m.Blocked);
                var day = leavers.Single(l => l.Id == m.Subject).Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
                Assert.Contains($"户籍已于 {day} 迁出杭州", m.Reason, StringComparison.Ordinal);
                Assert.Contains($"\"movedOut\":\"{day}\"", m.Snapshot, StringComparison.Ordinal);
            });
            Assert.DoesNotContain(matches, m => !m.Blocked && leavers.Any(l => l.Id == m.Subject));
        }
    }

    [Fact]
    public async Task Explain_Leaver_SaysTheRegistrationMovedOutAndOnWhichDay()
    {
        var ct = TestContext.Current.CancellationToken;
        var (connection, asOf) = await ProfilesAsync();
        await using var _ = connection;
        var leaver = city.Leavers().First(l => city.Age(l.Id, asOf) >= 80);
        var day = leaver.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var why = await PolicyMatcher.ExplainAsync(connection, Policy("elderly-allowance"), leaver.Id, asOf, ct);
        await ProfileBuilder.BuildAsync(connection, leaver.Day.AddDays(-1), ct);
        var before = await PolicyMatcher.ExplainAsync(connection, Policy("elderly-allowance"), leaver.Id, leaver.Day.AddDays(-1), ct);

        Assert.NotNull(why);
        Assert.Equal((false, true, (decimal?)null), (why.Eligible, why.Blocked, why.Amount));
        Assert.All(why.Clauses, c => Assert.True(c.Held));
        Assert.StartsWith($"No payment: 户籍已于 {day} 迁出杭州 (your household registration moved out of Hangzhou on {day})", why.Summary, StringComparison.Ordinal);
        Assert.Contains($"gaj.rk: household registration moved out of Hangzhou on {day} to ", why.DataNotes, StringComparison.Ordinal);
        // Judged on the day before the move, the registration is still here: no block.
        Assert.NotNull(before);
        Assert.False(before.Blocked);
        Assert.DoesNotContain("迁出", before.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Match_RecordListedTwice_FoundOnceAndFlagged()
    {
        var duplicated = city.Rows("truth/dirt.csv").Where(r => r[0] == "duplicate" && r[2] == "rk.csv").Select(r => r[3]).ToHashSet();
        var truth = city.Rows("truth/policy_eligible.csv").Where(r => r[0] == "stay-in-hangzhou").Select(r => r[1]).ToHashSet();
        var both = duplicated.Where(truth.Contains).ToList();
        Assert.NotEmpty(both);
        var (connection, asOf) = await ProfilesAsync();
        await using var _ = connection;

        var matches = await PolicyMatcher.MatchAsync(connection, Policy("stay-in-hangzhou"), asOf, TestContext.Current.CancellationToken);

        Assert.Equal(matches.Count, matches.Select(m => m.Subject).Distinct().Count());
        foreach (var subject in both)
        {
            var match = Assert.Single(matches, m => m.Subject == subject);
            Assert.Contains("gaj.rk: listed 2 times", match.Snapshot, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Match_EnterpriseWithImpossibleInsuredCount_CountedFromThePersonRecords()
    {
        var broken = city.Rows("truth/dirt.csv").Where(r => r[0] == "impossible-value" && r[2] == "units.csv").Select(r => r[3]).ToHashSet();
        var truth = city.Rows("truth/policy_eligible.csv").Where(r => r[0] == "stable-employment-refund").Select(r => r[1]).ToHashSet();
        Assert.Contains(broken, truth.Contains);
        var (connection, asOf) = await ProfilesAsync();
        await using var _ = connection;

        var found = (await PolicyMatcher.MatchAsync(connection, Policy("stable-employment-refund"), asOf, TestContext.Current.CancellationToken)).ToDictionary(m => m.Subject);

        foreach (var uscc in broken.Where(truth.Contains))
        {
            Assert.Contains("rsj.units: negative insured employees", found[uscc].Snapshot, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Explain_EligibleAndIneligibleResidents_EachClauseWithValuesInWords()
    {
        var truth = city.Rows("truth/policy_eligible.csv").Where(r => r[0] == "elderly-allowance").Select(r => r[1]).ToHashSet();
        var residents = city.Rows("truth/residents.csv").ToList();
        var old = truth.First();
        var young = residents.First(r => r[7] == "local" && r[22].Length == 0 && string.CompareOrdinal(r[3], "1970") > 0)[0];
        var (connection, asOf) = await ProfilesAsync();
        await using var _ = connection;
        var policy = Policy("elderly-allowance");

        var yes = await PolicyMatcher.ExplainAsync(connection, policy, old, asOf, TestContext.Current.CancellationToken);
        var no = await PolicyMatcher.ExplainAsync(connection, policy, young, asOf, TestContext.Current.CancellationToken);

        Assert.NotNull(yes);
        Assert.True(yes.Eligible);
        Assert.All(yes.Clauses, c => Assert.True(c.Held));
        Assert.Contains(yes.Amount, new decimal?[] { 100, 300, 600 });
        Assert.StartsWith("You qualify", yes.Summary, StringComparison.Ordinal);
        Assert.NotNull(no);
        Assert.False(no.Eligible);
        Assert.True(no.Clauses[0].Held);
        Assert.False(no.Clauses[1].Held);
        Assert.Contains("it is not so that your age (full years, from the birth date in the resident ID) is at least 80 (age = ", no.Summary, StringComparison.Ordinal);
        Assert.Null(await PolicyMatcher.ExplainAsync(connection, policy, "110101190001011237", asOf, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task MatchSql_OnPostgreSql_FindsTheSameSubjectsAsOnDuckDb()
    {
        var ct = TestContext.Current.CancellationToken;
        var (duck, asOf) = await ProfilesAsync();
        await using var _ = duck;
        await using var pg = new NpgsqlConnection(await PostgresServer.Instance.CreateDatabaseAsync(ct));
        await pg.OpenAsync(ct);
        await CopyAsync(duck, pg, "resident_profile", ct);
        await CopyAsync(duck, pg, "enterprise_profile", ct);

        foreach (var policy in PolicyLoader.Shipped())
        {
            var onDuck = (await PolicyMatcher.MatchAsync(duck, policy, asOf, ct)).Select(m => (m.Subject, m.AmountCents)).Order().ToList();
            var onPostgres = new List<(string, long)>();
            await using (var command = new NpgsqlCommand(PolicyMatcher.MatchSql(policy), pg))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    onPostgres.Add((reader.GetString(0), (long)Math.Round(Convert.ToDecimal(reader["amount"], System.Globalization.CultureInfo.InvariantCulture) * 100)));
                }
            }
            Assert.NotEmpty(onDuck);
            Assert.Equal(onDuck, onPostgres.Order().ToList());
        }
    }

    /// <summary>The profile table's rows into a PostgreSQL table of the same columns.</summary>
    private static async Task CopyAsync(DuckDBConnection duck, NpgsqlConnection pg, string table, CancellationToken ct)
    {
        await using var read = duck.CreateCommand();
        read.CommandText = $"SELECT * FROM {table}";
        await using var reader = await read.ExecuteReaderAsync(ct);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(i => (Name: reader.GetName(i), Type: reader.GetFieldType(i))).ToList();
        string Sql(Type t) => t == typeof(double) ? "DOUBLE PRECISION" : t == typeof(int) ? "INTEGER" : t == typeof(bool) ? "BOOLEAN" : t == typeof(DateOnly) || t == typeof(DateTime) ? "DATE" : "TEXT";
        await using (var create = new NpgsqlCommand($"CREATE TABLE {table} ({string.Join(", ", columns.Select(c => $"{c.Name} {Sql(c.Type)}"))})", pg))
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        await using var import = await pg.BeginBinaryImportAsync($"COPY {table} ({string.Join(", ", columns.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)", ct);
        while (await reader.ReadAsync(ct))
        {
            await import.StartRowAsync(ct);
            for (var i = 0; i < columns.Count; i++)
            {
                var value = reader.IsDBNull(i) ? null : reader.GetValue(i);
                switch (value)
                {
                    case null: await import.WriteNullAsync(ct); break;
                    case DateTime d: await import.WriteAsync(DateOnly.FromDateTime(d), NpgsqlTypes.NpgsqlDbType.Date, ct); break;
                    case DateOnly d: await import.WriteAsync(d, NpgsqlTypes.NpgsqlDbType.Date, ct); break;
                    default: await import.WriteAsync(value, ct); break;
                }
            }
        }
        await import.CompleteAsync(ct);
    }
}
