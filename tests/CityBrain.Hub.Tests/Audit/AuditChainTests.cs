using System.Data.Common;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Dapper;

namespace CityBrain.Hub.Tests.Audit;

public sealed class AuditChainTests
{
    private const string Resident = "33010619900101123X";

    public static TheoryData<string> Stores => TestStores.Kinds;

    private static async Task AppendAsync(HubServices hub, int count)
    {
        var log = hub.Get<IAuditLog>();
        var appends = Enumerable.Range(0, count).Select(i => log.AppendAsync(new AuditEntry("gateway.call", "system:mz-dibao", "police-pop/person", "dibao-eligibility",
            i % 10 == 0 ? [Resident] : null, new Dictionary<string, string?> { ["fields"] = "XB", ["maskedFields"] = "XM", ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }), CancellationToken.None).AsTask());
        await Task.WhenAll(appends);
    }

    private static async Task<AuditVerification> VerifyAsync(HubServices hub) =>
        await AuditVerifier.VerifyAsync(hub.Store, hub.Get<HubKeyring>(), null, CancellationToken.None);

    private static async Task ExecuteAsync(HubServices hub, string sql)
    {
        await using DbConnection connection = await hub.Store.OpenConnectionAsync(CancellationToken.None);
        await connection.ExecuteAsync(sql);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Append_ConcurrentAppenders_ContiguousChainThatVerifies(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        var log = hub.Get<IAuditLog>();
        var seqs = await Task.WhenAll(Enumerable.Range(0, 3000).Select(i =>
            log.AppendAsync(new AuditEntry("test", $"actor-{i}"), CancellationToken.None).AsTask()));

        Assert.Equal(Enumerable.Range(1, 3000).Select(i => (long)i), seqs.Order());
        var result = await VerifyAsync(hub);
        Assert.True(result.Ok, result.FirstProblem?.Message);
        Assert.Equal(3000, result.RecordsChecked);
        Assert.Equal(2, result.CheckpointsChecked); // 1024 and 2048; the rest waits for the next checkpoint
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Verify_RowContentChanged_NamesItAltered(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await AppendAsync(hub, 50);
        await ExecuteAsync(hub, "UPDATE hub_audit SET purpose = 'marketing' WHERE seq = 17");

        var result = await VerifyAsync(hub);
        Assert.Equal(new AuditProblem(17, AuditProblemKind.Altered, "its content no longer matches its hash"), result.FirstProblem);
        Assert.Equal(16, result.RecordsChecked);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Verify_RowDeleted_NamesItRemoved(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await AppendAsync(hub, 50);
        await ExecuteAsync(hub, "DELETE FROM hub_audit WHERE seq = 23");

        var result = await VerifyAsync(hub);
        Assert.Equal(23, result.FirstProblem!.Seq);
        Assert.Equal(AuditProblemKind.Removed, result.FirstProblem.Kind);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Verify_RowDeletedAndLaterOnesRenumbered_NamesItRemoved(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await AppendAsync(hub, 50);
        await ExecuteAsync(hub, "DELETE FROM hub_audit WHERE seq = 23");
        for (var seq = 24; seq <= 50; seq++)
        {
            await ExecuteAsync(hub, $"UPDATE hub_audit SET seq = {seq - 1} WHERE seq = {seq}");
        }

        var result = await VerifyAsync(hub);
        Assert.Equal(23, result.FirstProblem!.Seq);
        Assert.Equal(AuditProblemKind.Removed, result.FirstProblem.Kind);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Verify_ForgedRowInsertedByRenumbering_NamesItInserted(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await AppendAsync(hub, 50);
        for (var seq = 50; seq >= 30; seq--)
        {
            await ExecuteAsync(hub, $"UPDATE hub_audit SET seq = {seq + 1} WHERE seq = {seq}");
        }
        // A careful forger chains the new row to its predecessor and hashes it correctly.
        await using (var connection = await hub.Store.OpenConnectionAsync(CancellationToken.None))
        {
            var prev = await connection.ExecuteScalarAsync<string>("SELECT hash FROM hub_audit WHERE seq = 29");
            var hash = AuditHashing.Compute(prev!, 30, 0, "gateway.call", "system:forger", null, null, null, null);
            await connection.ExecuteAsync("INSERT INTO hub_audit (seq, at, action, actor, prev_hash, hash) VALUES (30, 0, 'gateway.call', 'system:forger', @prev, @hash)", new { prev, hash });
        }

        var result = await VerifyAsync(hub);
        Assert.Equal(30, result.FirstProblem!.Seq);
        Assert.Equal(AuditProblemKind.Inserted, result.FirstProblem.Kind);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Verify_ForgedRowAppendedAtTheEnd_NamesItInserted(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await AppendAsync(hub, 20);
        var hash = AuditHashing.Compute(AuditHashing.Genesis, 21, 0, "gateway.call", "system:forger", null, null, null, null);
        await ExecuteAsync(hub, $"INSERT INTO hub_audit (seq, at, action, actor, prev_hash, hash) VALUES (21, 0, 'gateway.call', 'system:forger', '{AuditHashing.Genesis}', '{hash}')");

        var result = await VerifyAsync(hub);
        Assert.Equal(21, result.FirstProblem!.Seq);
        Assert.Equal(AuditProblemKind.Inserted, result.FirstProblem.Kind);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Verify_RowAlteredAndRehashed_NamesItAltered(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await AppendAsync(hub, 50);
        await using (var connection = await hub.Store.OpenConnectionAsync(CancellationToken.None))
        {
            var row = await connection.QuerySingleAsync<(string Prev, long At, string Action, string? Resource)>("SELECT prev_hash, at, action, resource FROM hub_audit WHERE seq = 12");
            var hash = AuditHashing.Compute(row.Prev, 12, row.At, row.Action, "system:someone-else", row.Resource, "dibao-eligibility", null, null);
            await connection.ExecuteAsync("UPDATE hub_audit SET actor = 'system:someone-else', subjects = NULL, detail = NULL, hash = @hash WHERE seq = 12", new { hash });
        }

        var result = await VerifyAsync(hub);
        Assert.Equal(12, result.FirstProblem!.Seq);
        Assert.Equal(AuditProblemKind.Altered, result.FirstProblem.Kind);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Verify_WholeChainRewrittenAfterCheckpoint_CaughtByTheSignature(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await AppendAsync(hub, 1100);
        // Rewrite every record from 1000 on, re-chaining correctly: only the signed checkpoint 1–1024 can tell.
        await using (var connection = await hub.Store.OpenConnectionAsync(CancellationToken.None))
        {
            var prev = await connection.ExecuteScalarAsync<string>("SELECT hash FROM hub_audit WHERE seq = 999");
            for (var seq = 1000; seq <= 1100; seq++)
            {
                var hash = AuditHashing.Compute(prev!, seq, 0, "noop", "nobody", null, null, null, null);
                await connection.ExecuteAsync("UPDATE hub_audit SET at = 0, action = 'noop', actor = 'nobody', resource = NULL, purpose = NULL, subjects = NULL, detail = NULL, prev_hash = @prev, hash = @hash WHERE seq = @seq", new { prev, hash, seq });
                prev = hash;
            }
        }

        var result = await VerifyAsync(hub);
        Assert.Equal(AuditProblemKind.Altered, result.FirstProblem!.Kind);
        Assert.Equal(1, result.FirstProblem.Seq); // the checkpoint's range: 1–1024
        Assert.Contains("1–1024", result.FirstProblem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Store_SubjectsOnlyAsKeyedHashes_YetFoundForTheCitizen(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await AppendAsync(hub, 30);
        await using var connection = await hub.Store.OpenConnectionAsync(CancellationToken.None);
        var rows = (await connection.QueryAsync<string>("SELECT COALESCE(subjects, '') || '|' || COALESCE(detail, '') || '|' || actor FROM hub_audit")).ToList();
        Assert.DoesNotContain(rows, r => r.Contains(Resident, StringComparison.Ordinal) || r.Contains("19900101", StringComparison.Ordinal));

        var hashed = hub.Get<HubKeyring>().HashSubject(Resident);
        var indexed = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM hub_audit_subjects WHERE subject = @hashed", new { hashed });
        Assert.Equal(3, indexed);
    }

    [Fact]
    public void MerkleProof_EveryLeafOfOddSizedTrees_ClimbsToTheRootAndNoWrongLeafDoes()
    {
        foreach (var size in new[] { 1, 2, 3, 5, 8, 13, 1024, 1000 })
        {
            var leaves = Enumerable.Range(0, size).Select(i => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i))).ToList();
            var root = MerkleTree.Root(leaves);
            foreach (var index in new[] { 0, size / 2, size - 1 }.Distinct())
            {
                var path = MerkleTree.Path(leaves, index);
                Assert.Equal(root, MerkleTree.RootFromPath(leaves[index], index, size, path));
                var wrong = System.Security.Cryptography.SHA256.HashData("forged"u8);
                Assert.NotEqual(root, MerkleTree.RootFromPath(wrong, index, size, path));
            }
        }
    }
}
