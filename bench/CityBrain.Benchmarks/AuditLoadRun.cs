using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using CityBrain.Host;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using Microsoft.Data.Sqlite;

namespace CityBrain.Benchmarks;

/// <summary>
/// <c>audit</c>: (1) appends through the hub's real <see cref="AuditLog"/> on SQLite from many concurrent appenders, as
/// gateway calls append, and reports records/s; (2) extends that same chain to <c>--verify-records</c> records with
/// the product's own hashing, Merkle and signing code, then times the real verifier, in process and as
/// <c>citybrain audit verify</c>. The chain begins with records the real log wrote, so a generator that chained
/// differently from the log would fail verification instead of flattering it.
/// </summary>
internal static class AuditLoadRun
{
    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var records = args.Int("records", 200_000);
        var appenders = args.Int("appenders", 64);
        var verifyRecords = args.Int("verify-records", 10_000_000);
        var keep = args.Text("data");
        var data = keep ?? Path.Combine(Path.GetTempPath(), "citybrain-bench-audit-" + Guid.NewGuid().ToString("N")[..10]);
        var database = Path.Combine(data, "citybrain.db");
        var settings = new HostSettings(data, "sqlite:" + database, "http://127.0.0.1:0");
        Console.WriteLine($"audit load run: {Environment.ProcessorCount} cores, .NET {Environment.Version}, store {database}");
        try
        {
            long existing;
            HubKeyring keyring;
            await using (var app = CityBrainHost.Create(settings, builder => builder.Logging.ClearProviders()))
            {
                await CityBrainHost.PrepareAsync(app, cancellationToken);
                var store = app.Services.GetRequiredService<IOperationalStore>();
                keyring = app.Services.GetRequiredService<HubKeyring>();
                existing = await CountAsync(store, cancellationToken);
                if (existing < verifyRecords)
                {
                    var log = app.Services.GetRequiredService<AuditLog>();
                    await AppendAsync(log, records, appenders, cancellationToken);
                    await log.CheckpointAsync(cancellationToken);
                    existing = await CountAsync(store, cancellationToken);
                }
            }

            if (existing < verifyRecords)
            {
                var watch = Stopwatch.StartNew();
                await ExtendChainAsync(database, keyring, verifyRecords, cancellationToken);
                Console.WriteLine($"extended the chain to {verifyRecords:N0} records in {watch.Elapsed.TotalSeconds:F1} s ({new FileInfo(database).Length / 1e9:F2} GB)");
            }

            await VerifyInProcessAsync(settings, cancellationToken);
            await VerifyWithCliAsync(data, database, cancellationToken);
            return 0;
        }
        finally
        {
            if (keep is null)
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    /// <summary>Gateway-like records from <paramref name="appenders"/> concurrent callers, each awaiting its commit.</summary>
    private static async Task AppendAsync(AuditLog log, int records, int appenders, CancellationToken cancellationToken)
    {
        // Warm the writer (first connection, statement compilation) outside the timing.
        for (var i = 0; i < 1000; i++)
        {
            await log.AppendAsync(Entry(i), cancellationToken);
        }
        var next = -1L;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, appenders).Select(_ => Task.Run(async () =>
        {
            while (Interlocked.Increment(ref next) < records)
            {
                await log.AppendAsync(Entry(next), cancellationToken);
            }
        }, cancellationToken)));
        var elapsed = watch.Elapsed;
        var allocated = (GC.GetTotalAllocatedBytes() - allocatedBefore) / 1024.0 / records;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"append: {records:N0} records from {appenders} concurrent appenders in {elapsed.TotalSeconds:F2} s = {records / elapsed.TotalSeconds:N0} records/s (target >= 20,000); {allocated:F1} KB allocated per record"));
    }

    private static AuditEntry Entry(long n) => new("gateway.call", "system:mz-dibao", "police-pop/person", "dibao-eligibility",
        [ResidentIds[(int)(n % ResidentIds.Length)]],
        new Dictionary<string, string?>
        {
            ["status"] = "200",
            ["fields"] = "XB",
            ["maskedFields"] = "DZ,SFZH,XM",
            ["grant"] = "g-0001",
            ["latencyMs"] = (n % 97 / 10.0).ToString("F1", CultureInfo.InvariantCulture),
        });

    private static readonly string[] ResidentIds = ["33010619900101123X", "33010619851212002X", "330106200001010014", "330102197001010015"];

    /// <summary>
    /// Appends records after the last one until the chain holds <paramref name="total"/>, as the log would have written
    /// them (same columns, same hash, a signed Merkle checkpoint every <see cref="AuditLog.CheckpointEvery"/>), but in
    /// one bulk transaction: at 20,000 records/s the real log would take over eight minutes to write ten million.
    /// </summary>
    private static async Task ExtendChainAsync(string database, HubKeyring keyring, long total, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }
        long lastSeq;
        string prev;
        await using (var last = connection.CreateCommand())
        {
            last.CommandText = "SELECT seq, hash, (SELECT COALESCE(MAX(to_seq), 0) FROM hub_audit_checkpoints) FROM hub_audit ORDER BY seq DESC LIMIT 1";
            await using var reader = await last.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            (lastSeq, prev) = (reader.GetInt64(0), reader.GetString(1));
            if (reader.GetInt64(2) != lastSeq)
            {
                throw new InvalidOperationException("the chain's last records are not covered by a checkpoint; extend only a closed chain");
            }
        }

        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO hub_audit (seq, at, action, actor, resource, purpose, subjects, detail, prev_hash, hash) VALUES ($seq, $at, 'gateway.call', 'system:mz-dibao', 'police-pop/person', 'dibao-eligibility', $subjects, $detail, $prev, $hash)";
        var seqParameter = insert.Parameters.Add("$seq", SqliteType.Integer);
        var atParameter = insert.Parameters.Add("$at", SqliteType.Integer);
        var subjectsParameter = insert.Parameters.Add("$subjects", SqliteType.Text);
        var detailParameter = insert.Parameters.Add("$detail", SqliteType.Text);
        var prevParameter = insert.Parameters.Add("$prev", SqliteType.Text);
        var hashParameter = insert.Parameters.Add("$hash", SqliteType.Text);
        await using var checkpoint = connection.CreateCommand();
        checkpoint.Transaction = tx;
        checkpoint.CommandText = "INSERT INTO hub_audit_checkpoints (to_seq, from_seq, root, signature, at) VALUES ($to, $from, $root, $signature, $at)";
        var toParameter = checkpoint.Parameters.Add("$to", SqliteType.Integer);
        var fromParameter = checkpoint.Parameters.Add("$from", SqliteType.Integer);
        var rootParameter = checkpoint.Parameters.Add("$root", SqliteType.Text);
        var signatureParameter = checkpoint.Parameters.Add("$signature", SqliteType.Text);
        var checkpointAtParameter = checkpoint.Parameters.Add("$at", SqliteType.Integer);
        insert.Prepare();
        checkpoint.Prepare();

        var subjects = ResidentIds.Select(keyring.HashSubject).ToArray();
        using var signer = keyring.CreateAuditSigner();
        var buffer = new AuditHashing.ArrayBufferHolder();
        var hash = new byte[32];
        var leaves = new List<byte[]>(AuditLog.CheckpointEvery);
        var at = DateTimeOffset.Parse("2026-11-24T00:00:00Z", CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();
        for (var seq = lastSeq + 1; seq <= total; seq++)
        {
            var entry = Entry(seq);
            var subject = subjects[(int)(seq % subjects.Length)];
            var detail = JsonSerializer.Serialize(entry.Detail);
            var now = at + seq / 4; // about 4,000 calls a second
            AuditHashing.Compute(prev, seq, now, entry.Action, entry.Actor, entry.Resource, entry.Purpose, subject, detail, buffer, hash);
            var hex = Convert.ToHexStringLower(hash);
            seqParameter.Value = seq;
            atParameter.Value = now;
            subjectsParameter.Value = subject;
            detailParameter.Value = detail;
            prevParameter.Value = prev;
            hashParameter.Value = hex;
            await insert.ExecuteNonQueryAsync(cancellationToken);
            leaves.Add((byte[])hash.Clone());
            prev = hex;
            if (leaves.Count == AuditLog.CheckpointEvery || seq == total)
            {
                var root = Convert.ToHexStringLower(MerkleTree.Root(leaves));
                var from = seq - leaves.Count + 1;
                toParameter.Value = seq;
                fromParameter.Value = from;
                rootParameter.Value = root;
                signatureParameter.Value = Convert.ToBase64String(signer.SignData(MerkleTree.CheckpointMessage(from, seq, root), HashAlgorithmName.SHA256));
                checkpointAtParameter.Value = now;
                await checkpoint.ExecuteNonQueryAsync(cancellationToken);
                leaves.Clear();
            }
        }
        await tx.CommitAsync(cancellationToken);
    }

    private static async Task VerifyInProcessAsync(HostSettings settings, CancellationToken cancellationToken)
    {
        await using var app = CityBrainHost.Create(settings, builder => builder.Logging.ClearProviders());
        await CityBrainHost.PrepareAsync(app, cancellationToken);
        using var process = Process.GetCurrentProcess();
        var processorBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var result = await AuditVerifier.VerifyAsync(app.Services.GetRequiredService<IOperationalStore>(), app.Services.GetRequiredService<HubKeyring>(), null, cancellationToken);
        var elapsed = watch.Elapsed;
        process.Refresh();
        // The verifier runs on one thread: on a machine shared with other work, its processor time is what it costs.
        var processor = process.TotalProcessorTime - processorBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify (AuditVerifier, in process): {result.RecordsChecked:N0} records, {result.CheckpointsChecked:N0} checkpoints, {(result.Ok ? "intact" : "NOT intact: " + result.FirstProblem)} in {elapsed.TotalSeconds:F1} s = {result.RecordsChecked / elapsed.TotalSeconds:N0} records/s, {processor.TotalSeconds:F1} s of processor time (target: 10 M under 60 s)"));
        if (!result.Ok)
        {
            throw new InvalidOperationException("the generated chain does not verify; the timing would mean nothing");
        }
    }

    /// <summary><c>citybrain audit verify</c> as an operator runs it: a separate process, start-up included.</summary>
    private static async Task VerifyWithCliAsync(string data, string database, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { typeof(CityBrainHost).Assembly.Location, "audit", "verify", "--data", data, "--store", "sqlite:" + database })
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["NO_COLOR"] = "1";
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var elapsed = watch.Elapsed;
        var said = (await output + await error).Trim().Split('\n').LastOrDefault(l => l.Contains("audit log", StringComparison.Ordinal))?.Trim();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verify (citybrain audit verify, own process): exit {process.ExitCode} in {elapsed.TotalSeconds:F1} s: {said}"));
    }

    private static async Task<long> CountAsync(IOperationalStore store, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COALESCE(MAX(seq), 0) FROM hub_audit";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}
