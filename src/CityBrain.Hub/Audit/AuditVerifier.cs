using System.Security.Cryptography;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using Dapper;

namespace CityBrain.Hub.Audit;

public enum AuditProblemKind
{
    /// <summary>A record's content no longer matches its hash, or it was re-hashed and no longer matches its successor or checkpoint.</summary>
    Altered,

    /// <summary>A record is missing: a gap in the sequence, records renumbered down, or a checkpoint covering records that are gone.</summary>
    Removed,

    /// <summary>A record was added that the chain did not have: records renumbered up, or an extra record that does not chain.</summary>
    Inserted,
}

public sealed record AuditProblem(long Seq, AuditProblemKind Kind, string Message);

public sealed record AuditVerification(long RecordsChecked, long CheckpointsChecked, AuditProblem? FirstProblem)
{
    public bool Ok => FirstProblem is null;
}

/// <summary>Checks the whole log: every record's hash, every link, the sequence, every checkpoint's root and signature.</summary>
public static class AuditVerifier
{
    public static async Task<AuditVerification> VerifyAsync(IOperationalStore store, HubKeyring keyring, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        using var publicKey = keyring.CreateAuditSigner();
        List<Checkpoint> checkpoints;
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            checkpoints = (await connection.QueryAsync<Checkpoint>(new CommandDefinition(
                "SELECT from_seq AS FromSeq, to_seq AS ToSeq, root AS Root, signature AS Signature FROM hub_audit_checkpoints ORDER BY to_seq",
                cancellationToken: cancellationToken))).ToList();
        }

        var buffer = new AuditHashing.ArrayBufferHolder();
        var hash = new byte[32];
        var expectedSeq = 1L;
        var prevHash = AuditHashing.Genesis;
        var checkpointIndex = 0;
        var checkpointsChecked = 0L;
        var leaves = new List<byte[]>(AuditLog.CheckpointEvery);
        var records = 0L;
        long? brokenLinkAt = null;

        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, at, action, actor, resource, purpose, subjects, detail, prev_hash, hash FROM hub_audit ORDER BY seq";
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var seq = reader.GetInt64(0);
                var at = reader.GetInt64(1);
                var action = reader.GetString(2);
                var actor = reader.GetString(3);
                var resource = reader.IsDBNull(4) ? null : reader.GetString(4);
                var purpose = reader.IsDBNull(5) ? null : reader.GetString(5);
                var subjects = reader.IsDBNull(6) ? null : reader.GetString(6);
                var detail = reader.IsDBNull(7) ? null : reader.GetString(7);
                var storedPrev = reader.GetString(8);
                var storedHash = reader.GetString(9);

                bool Matches(long asSeq)
                {
                    AuditHashing.Compute(storedPrev, asSeq, at, action, actor, resource, purpose, subjects, detail, buffer, hash);
                    return HexEquals(hash, storedHash);
                }

                if (!Matches(seq))
                {
                    if (seq > 1 && Matches(seq - 1))
                    {
                        return new(records, checkpointsChecked, new(seq - 1, AuditProblemKind.Inserted,
                            $"records from {seq} on were renumbered up by one: record {seq - 1} was inserted before them"));
                    }
                    if (Matches(seq + 1))
                    {
                        return new(records, checkpointsChecked, new(seq, AuditProblemKind.Removed,
                            $"records from {seq} on were renumbered down by one: the original record {seq} was removed"));
                    }
                    return new(records, checkpointsChecked, new(seq, AuditProblemKind.Altered, "its content no longer matches its hash"));
                }
                if (seq != expectedSeq)
                {
                    return new(records, checkpointsChecked, new(expectedSeq, AuditProblemKind.Removed,
                        seq == expectedSeq + 1 ? "the sequence skips it" : $"the sequence skips records {expectedSeq} to {seq - 1}"));
                }
                if (brokenLinkAt is { } broken)
                {
                    // The record after a broken link tells which side was forged.
                    return string.Equals(storedPrev, prevHash, StringComparison.Ordinal)
                        ? new(records, checkpointsChecked, new(broken - 1, AuditProblemKind.Altered, $"it was re-hashed: record {broken} chained a different hash"))
                        : new(records, checkpointsChecked, new(broken, AuditProblemKind.Altered, $"it was replaced: it chains to no record {broken - 1} the hub wrote"));
                }
                if (!string.Equals(storedPrev, prevHash, StringComparison.Ordinal))
                {
                    brokenLinkAt = seq;
                }

                leaves.Add(Convert.FromHexString(storedHash));
                if (checkpointIndex < checkpoints.Count && checkpoints[checkpointIndex].ToSeq == seq)
                {
                    var checkpoint = checkpoints[checkpointIndex];
                    var problem = CheckCheckpoint(checkpoint, leaves, publicKey);
                    if (problem is not null)
                    {
                        return new(records, checkpointsChecked, problem);
                    }
                    checkpointIndex++;
                    checkpointsChecked++;
                    leaves.Clear();
                }

                prevHash = storedHash;
                expectedSeq = seq + 1;
                records++;
                if (records % 100_000 == 0)
                {
                    progress?.Report(records);
                }
            }
        }
        progress?.Report(records);
        if (brokenLinkAt is { } last)
        {
            return new(records - 1, checkpointsChecked, new(last, AuditProblemKind.Inserted, $"the last record does not chain to record {last - 1}: it was not written by the hub"));
        }
        if (checkpointIndex < checkpoints.Count)
        {
            var checkpoint = checkpoints[checkpointIndex];
            return new(records, checkpointsChecked, new(expectedSeq, AuditProblemKind.Removed,
                $"checkpoint {checkpoint.FromSeq}–{checkpoint.ToSeq} signed records from here on that are no longer in the log"));
        }
        return new(records, checkpointsChecked, null);
    }

    private static AuditProblem? CheckCheckpoint(Checkpoint checkpoint, List<byte[]> leaves, ECDsa publicKey)
    {
        var from = checkpoint.ToSeq - leaves.Count + 1;
        if (from != checkpoint.FromSeq)
        {
            return new(checkpoint.FromSeq, AuditProblemKind.Altered, $"checkpoint {checkpoint.FromSeq}–{checkpoint.ToSeq} does not line up with the log");
        }
        if (!publicKey.VerifyData(MerkleTree.CheckpointMessage(checkpoint.FromSeq, checkpoint.ToSeq, checkpoint.Root), Convert.FromBase64String(checkpoint.Signature), HashAlgorithmName.SHA256))
        {
            return new(checkpoint.FromSeq, AuditProblemKind.Altered, $"checkpoint {checkpoint.FromSeq}–{checkpoint.ToSeq} is not signed by the hub's key");
        }
        if (!string.Equals(Convert.ToHexStringLower(MerkleTree.Root(leaves)), checkpoint.Root, StringComparison.Ordinal))
        {
            return new(checkpoint.FromSeq, AuditProblemKind.Altered,
                $"the records {checkpoint.FromSeq}–{checkpoint.ToSeq} no longer have the root their signed checkpoint holds: the chain was rewritten from here");
        }
        return null;
    }

    private static bool HexEquals(ReadOnlySpan<byte> bytes, string hex)
    {
        if (hex.Length != bytes.Length * 2)
        {
            return false;
        }
        Span<byte> parsed = stackalloc byte[32];
        return Convert.FromHexString(hex, parsed, out _, out var written) == System.Buffers.OperationStatus.Done && written == bytes.Length && parsed[..written].SequenceEqual(bytes);
    }

    private sealed class Checkpoint
    {
        public long FromSeq { get; set; }
        public long ToSeq { get; set; }
        public string Root { get; set; } = "";
        public string Signature { get; set; } = "";
    }
}
