using System.Security.Cryptography;
using System.Text.Json;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Hub.Audit;

/// <summary>The audit log for auditors, inclusion proofs for anyone holding a record, and the citizen's data tracker.</summary>
internal static class AuditApi
{
    public sealed record CheckpointView(long FromSeq, long ToSeq, string Root, string Signature, DateTimeOffset At);

    public sealed record InclusionProof(AuditRecord Record, CheckpointView Checkpoint, int LeafIndex, int TreeSize, IReadOnlyList<string> AuditPath, bool Verified);

    /// <summary>
    /// One access to a citizen's data: who, which fields (in clear and masked), when, why. <c>Seq</c> is the audit record's;
    /// 0 for a decision a module recorded about the citizen (<see cref="IDataUseRecords"/>, e.g. a policy run's).
    /// </summary>
    public sealed record DataAccess(long Seq, DateTimeOffset At, string Accessor, string Action, string? Resource, string? Purpose,
        IReadOnlyList<string> Fields, IReadOnlyList<string> MaskedFields, string? Status);

    public static void MapAuditApi(this IEndpointRouteBuilder routes)
    {
        var audit = routes.MapGroup("/api/hub/audit").WithTags("Audit").RequireAuthorization();
        audit.MapGet("/", List).WithSummary("Audit records after a sequence number (data bureau and auditors)");
        audit.MapGet("/checkpoints", Checkpoints).WithSummary("Signed Merkle checkpoints");
        audit.MapGet("/{seq:long}/proof", Proof).WithSummary("Inclusion proof: the record is in a signed checkpoint");
        audit.MapGet("/public-key", PublicKey).WithSummary("The hub's checkpoint signing key (PEM)").AllowAnonymous();
        routes.MapGet("/api/my/data-access", MyDataAccess).WithTags("Citizen").RequireAuthorization()
            .WithSummary("Every access to the calling citizen's data: by whom, which fields, when, for what purpose");
    }

    private static void RequireAuditor(HttpContext context)
    {
        if (!Caller.From(context.User).SeesEverything)
        {
            throw new ForbiddenException("the audit log is for the data bureau and auditors");
        }
    }

    private static async Task<Ok<List<AuditRecord>>> List(long? after, int? limit, HttpContext context, IOperationalStore store, CancellationToken cancellationToken)
    {
        RequireAuditor(context);
        var take = Math.Clamp(limit ?? 100, 1, 1000);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
            "SELECT seq, at, action, actor, resource, purpose, subjects, detail, prev_hash, hash FROM hub_audit WHERE seq > @after ORDER BY seq LIMIT @take",
            new { after = after ?? 0, take }, cancellationToken: cancellationToken));
        return TypedResults.Ok(rows.Select(r => r.ToRecord()).ToList());
    }

    private static async Task<Ok<List<CheckpointView>>> Checkpoints(HttpContext context, IOperationalStore store, CancellationToken cancellationToken)
    {
        RequireAuditor(context);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<CheckpointRow>(new CommandDefinition(
            "SELECT from_seq, to_seq, root, signature, at FROM hub_audit_checkpoints ORDER BY to_seq DESC LIMIT 1000", cancellationToken: cancellationToken));
        return TypedResults.Ok(rows.Select(r => r.ToView()).ToList());
    }

    private static async Task<Ok<InclusionProof>> Proof(long seq, HttpContext context, IOperationalStore store, HubKeyring keyring, CancellationToken cancellationToken)
    {
        RequireAuditor(context);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var record = (await connection.QueryFirstOrDefaultAsync<AuditRow>(new CommandDefinition(
            "SELECT seq, at, action, actor, resource, purpose, subjects, detail, prev_hash, hash FROM hub_audit WHERE seq = @seq", new { seq }, cancellationToken: cancellationToken)))?.ToRecord()
            ?? throw new NotFoundException($"audit record {seq} does not exist");
        var checkpoint = (await connection.QueryFirstOrDefaultAsync<CheckpointRow>(new CommandDefinition(
            "SELECT from_seq, to_seq, root, signature, at FROM hub_audit_checkpoints WHERE from_seq <= @seq AND to_seq >= @seq", new { seq }, cancellationToken: cancellationToken)))?.ToView()
            ?? throw new ProblemException(409, "Not yet checkpointed", $"record {seq} is not yet covered by a signed checkpoint; one is signed every {AuditLog.CheckpointEvery} records and at shutdown");
        var leaves = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT hash FROM hub_audit WHERE seq BETWEEN @from AND @to ORDER BY seq", new { from = checkpoint.FromSeq, to = checkpoint.ToSeq }, cancellationToken: cancellationToken)))
            .Select(Convert.FromHexString).ToList();
        var index = (int)(seq - checkpoint.FromSeq);
        var path = MerkleTree.Path(leaves, index);
        using var key = keyring.CreateAuditSigner();
        var verified = Verify(record, checkpoint, index, leaves.Count, path, key);
        return TypedResults.Ok(new InclusionProof(record, checkpoint, index, leaves.Count, path.Select(Convert.ToHexStringLower).ToList(), verified));
    }

    /// <summary>What a holder of the public key does with a proof: recompute the record's hash, climb to the root, check the signature.</summary>
    public static bool Verify(AuditRecord record, CheckpointView checkpoint, int leafIndex, int treeSize, IReadOnlyList<byte[]> path, ECDsa publicKey)
    {
        var recomputed = AuditHashing.Compute(record.PrevHash, record.Seq, record.At, record.Action, record.Actor, record.Resource, record.Purpose, record.Subjects, record.Detail);
        if (!string.Equals(recomputed, record.Hash, StringComparison.Ordinal))
        {
            return false;
        }
        var root = MerkleTree.RootFromPath(Convert.FromHexString(record.Hash), leafIndex, treeSize, path);
        return string.Equals(Convert.ToHexStringLower(root), checkpoint.Root, StringComparison.Ordinal)
            && publicKey.VerifyData(MerkleTree.CheckpointMessage(checkpoint.FromSeq, checkpoint.ToSeq, checkpoint.Root), Convert.FromBase64String(checkpoint.Signature), HashAlgorithmName.SHA256);
    }

    private static ContentHttpResult PublicKey(HubKeyring keyring)
    {
        using var key = keyring.CreateAuditSigner();
        return TypedResults.Text(key.ExportSubjectPublicKeyInfoPem(), "application/x-pem-file");
    }

    private static async Task<Ok<List<DataAccess>>> MyDataAccess(HttpContext context, IOperationalStore store, HubKeyring keyring, IEnumerable<IDataUseRecords> modules,
        CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        if (caller.Role != HubRoles.Citizen || caller.ResidentId is null)
        {
            throw new ForbiddenException("the data tracker answers citizens about their own data");
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<AuditRow>(new CommandDefinition(
            """
            SELECT a.seq, a.at, a.action, a.actor, a.resource, a.purpose, a.subjects, a.detail, a.prev_hash, a.hash
            FROM hub_audit_subjects s JOIN hub_audit a ON a.seq = s.seq
            WHERE s.subject = @subject ORDER BY a.seq DESC LIMIT 1000
            """, new { subject = keyring.HashSubject(caller.ResidentId) }, cancellationToken: cancellationToken));
        var accesses = rows.Select(r =>
        {
            var detail = r.Detail is null ? null : JsonSerializer.Deserialize<Dictionary<string, string?>>(r.Detail);
            return new DataAccess(r.Seq, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Actor, r.Action, r.Resource, r.Purpose,
                Split(detail, "fields"), Split(detail, "maskedFields"), detail?.GetValueOrDefault("status"));
        }).ToList();
        foreach (var module in modules)
        {
            accesses.AddRange((await module.ForResidentAsync(caller.ResidentId, cancellationToken))
                .Select(u => new DataAccess(0, u.At, u.Accessor, u.Action, u.Resource, u.Purpose, u.Fields, [], u.Status)));
        }
        return TypedResults.Ok(accesses.OrderByDescending(a => a.At).ThenByDescending(a => a.Seq).ToList());
    }

    private static List<string> Split(Dictionary<string, string?>? detail, string key) =>
        detail?.GetValueOrDefault(key) is { Length: > 0 } value ? [.. value.Split(',')] : [];

    private sealed class AuditRow
    {
        public long Seq { get; set; }
        public long At { get; set; }
        public string Action { get; set; } = "";
        public string Actor { get; set; } = "";
        public string? Resource { get; set; }
        public string? Purpose { get; set; }
        public string? Subjects { get; set; }
        public string? Detail { get; set; }
        public string PrevHash { get; set; } = "";
        public string Hash { get; set; } = "";

        public AuditRecord ToRecord() => new(Seq, At, Action, Actor, Resource, Purpose, Subjects, Detail, PrevHash, Hash);
    }

    private sealed class CheckpointRow
    {
        public long FromSeq { get; set; }
        public long ToSeq { get; set; }
        public string Root { get; set; } = "";
        public string Signature { get; set; } = "";
        public long At { get; set; }

        public CheckpointView ToView() => new(FromSeq, ToSeq, Root, Signature, DateTimeOffset.FromUnixTimeMilliseconds(At));
    }
}
