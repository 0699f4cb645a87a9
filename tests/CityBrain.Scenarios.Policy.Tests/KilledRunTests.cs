using System.Diagnostics;
using System.Text.Json;
using CityBrain.Host;
using Microsoft.Data.Sqlite;

namespace CityBrain.Scenarios.Policy.Tests;

/// <summary>`citybrain policy run` as a real child process, killed mid-way and started again.</summary>
public sealed class KilledRunTests(DemoCity city) : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "citybrain-policy-kill-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public async Task Run_KilledMidwayThenRestarted_PaysEveryoneExactlyOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_data);
        Directory.CreateSymbolicLink(Path.Combine(_data, "city"), city.CityDirectory);
        var eligible = city.Rows("truth/policy_eligible.csv").Count(r => r[0] == "stay-in-hangzhou");
        await GrantAsync(ct);

        // A slow bank, so that the run is still paying when it is killed.
        using (var first = Start("--bank-latency-ms", "40"))
        {
            var paidAtKill = 0L;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromMinutes(3));
            while (paidAtKill < 40)
            {
                if (first.HasExited)
                {
                    Assert.Fail("the run ended before it could be killed: " + await first.StandardError.ReadToEndAsync(ct));
                }
                await Task.Delay(50, deadline.Token);
                paidAtKill = Count(Path.Combine(_data, "citybrain.db"), "SELECT COUNT(*) FROM policy_payouts WHERE status = 'paid'");
            }
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync(ct);
            var paidAfterKill = Count(Path.Combine(_data, "citybrain.db"), "SELECT COUNT(*) FROM policy_payouts WHERE status = 'paid'");
            Assert.True(paidAfterKill < eligible, $"killed mid-way: {paidAtKill} paid when killed, {paidAfterKill} after, of {eligible}");
        }

        using var second = Start();
        var output = await second.StandardOutput.ReadToEndAsync(ct);
        await second.WaitForExitAsync(ct);
        Assert.True(second.ExitCode == 0, $"exit {second.ExitCode}: {output} {await second.StandardError.ReadToEndAsync(ct)}");
        using var summary = JsonDocument.Parse(output);
        var root = summary.RootElement;

        Assert.Equal(eligible, root.GetProperty("eligible").GetInt32());
        Assert.Equal(eligible, root.GetProperty("paid").GetInt32() + root.GetProperty("alreadyPaid").GetInt32());
        Assert.True(root.GetProperty("alreadyPaid").GetInt32() >= 40);
        Assert.Equal(0, root.GetProperty("reconciliation").GetProperty("differences").GetInt32());
        var bank = Path.Combine(_data, "bank", "bank.db");
        Assert.Equal(eligible, Count(bank, "SELECT COUNT(*) FROM settlements"));
        Assert.Equal(eligible, Count(bank, "SELECT COUNT(DISTINCT key) FROM settlements"));
        Assert.Equal(eligible, Count(Path.Combine(_data, "citybrain.db"), "SELECT COUNT(DISTINCT journal) FROM policy_ledger WHERE journal LIKE 'pay:%'"));
    }

    [Fact]
    public async Task Run_KilledWhileHoldingItsReadsThenRunAgain_NoPersonalDataFilesLeftBehind()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_data);
        Directory.CreateSymbolicLink(Path.Combine(_data, "city"), city.CityDirectory);
        await GrantAsync(ct);
        var runs = Path.Combine(_data, "policy-runs");

        // Killed as soon as its first read of the lake (a Parquet file of personal data) is on disk.
        using (var first = Start("--bank-latency-ms", "40"))
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromMinutes(3));
            while (Reads(runs).Count == 0)
            {
                if (first.HasExited || Count(Path.Combine(_data, "citybrain.db"), "SELECT COUNT(*) FROM policy_payouts") > 0)
                {
                    Assert.Fail("the run got past its reads before it could be killed: " + (first.HasExited ? await first.StandardError.ReadToEndAsync(ct) : "paying"));
                }
                await Task.Delay(5, deadline.Token);
            }
            first.Kill(entireProcessTree: true);
            await first.WaitForExitAsync(ct);
        }
        Assert.NotEmpty(Reads(runs)); // the killed run could not clean up after itself

        using var second = Start();
        var output = await second.StandardOutput.ReadToEndAsync(ct);
        await second.WaitForExitAsync(ct);

        Assert.True(second.ExitCode == 0, $"exit {second.ExitCode}: {output} {await second.StandardError.ReadToEndAsync(ct)}");
        Assert.Empty(Directory.EnumerateFileSystemEntries(runs));
    }

    private static List<string> Reads(string runs) =>
        Directory.Exists(runs) ? [.. Directory.EnumerateFiles(runs, "*.parquet", SearchOption.AllDirectories)] : [];

    [Fact]
    public async Task Run_DataFolderWithoutGrants_Exit2NamingThePolicyAndEachDatasetAndPaysNothing()
    {
        var ct = TestContext.Current.CancellationToken;
        Directory.CreateDirectory(_data);
        Directory.CreateSymbolicLink(Path.Combine(_data, "city"), city.CityDirectory);

        using var run = Start();
        var output = await run.StandardOutput.ReadToEndAsync(ct);
        var error = await run.StandardError.ReadToEndAsync(ct);
        await run.WaitForExitAsync(ct);

        Assert.True(run.ExitCode == 2, $"exit {run.ExitCode}: {output} {error}");
        Assert.Contains("policy 'stay-in-hangzhou' may not run", error, StringComparison.Ordinal);
        Assert.All(PolicyCli.Find("stay-in-hangzhou").Needs, dataset => Assert.Contains(dataset, error, StringComparison.Ordinal));
        Assert.Equal(0, Count(Path.Combine(_data, "citybrain.db"), "SELECT COUNT(*) FROM policy_decisions"));
        Assert.Equal(0, Count(Path.Combine(_data, "bank", "bank.db"), "SELECT COUNT(*) FROM settlements"));
    }

    /// <summary>What `serve` leaves in the data folder's store for the demo city: the shipped policies' grants, approved.</summary>
    private async Task GrantAsync(CancellationToken ct)
    {
        await using (var hub = await PolicyHub.StartAsync(_data, "sqlite:" + Path.Combine(_data, "citybrain.db"), ct))
        {
            Assert.True(await hub.GrantAllAsync(ct) > 0);
        }
        SqliteConnection.ClearAllPools();
    }

    private Process Start(params string[] extra)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(CityBrainHost).Assembly.Location);
        foreach (var arg in (string[])["policy", "run", "--policy", "stay-in-hangzhou", "--period", "once", "--data", _data, .. extra])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Remove("CITYBRAIN_STORE");
        return Process.Start(start)!;
    }

    private static long Count(string database, string sql)
    {
        if (!File.Exists(database))
        {
            return 0;
        }
        using var connection = new SqliteConnection($"Data Source={database};Mode=ReadWrite;Pooling=False;Default Timeout=30");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException e) when (e.SqliteErrorCode == 1)
        {
            return 0; // no such table: the run has not created it yet
        }
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
    }
}
