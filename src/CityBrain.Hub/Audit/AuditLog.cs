using System.Data.Common;
using System.Text.Json;
using System.Threading.Channels;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityBrain.Hub.Audit;

/// <summary>
/// The tamper-evident log, written by group commit: appenders queue their entries, one writer takes a batch,
/// chains and stores it in one transaction (holding the store's "hub_audit" lock, so that several nodes sharing
/// PostgreSQL extend one chain), and only then answers each appender. Every <see cref="CheckpointEvery"/>
/// records a signed Merkle checkpoint is written in the same transaction.
/// </summary>
internal sealed partial class AuditLog : IAuditLog, IHostedService, IAsyncDisposable
{
    public const int CheckpointEvery = 1024;
    private const int MaxBatch = 4096;

    private readonly IOperationalStore _store;
    private readonly HubKeyring _keyring;
    private readonly TimeProvider _time;
    private readonly ILogger<AuditLog> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private readonly AuditHashing.ArrayBufferHolder _buffer = new();

    public AuditLog(IOperationalStore store, HubKeyring keyring, TimeProvider time, ILogger<AuditLog> logger)
    {
        _store = store;
        _keyring = keyring;
        _time = time;
        _logger = logger;
        _writer = Task.Run(WriteLoopAsync);
    }

    public ValueTask<long> AppendAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        var pending = new Pending(entry, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new InvalidOperationException("The audit log is shut down; nothing can be done unaudited.");
        }
        // The caller may stop waiting, but the entry is written regardless: it may already be in flight.
        return new ValueTask<long>(pending.Done.Task.WaitAsync(cancellationToken));
    }

    /// <summary>Signs a checkpoint over every record not yet covered by one (at shutdown, or on demand).</summary>
    public async Task CheckpointAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _store.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await _store.LockAsync(tx, "hub_audit", cancellationToken);
        var last = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MAX(seq) FROM hub_audit", transaction: tx, cancellationToken: cancellationToken)) ?? 0;
        await WriteCheckpointsAsync(connection, tx, last, force: true, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await CheckpointAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogCheckpointFailed(_logger, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer;
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }
            try
            {
                var first = await WriteBatchAsync(batch);
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.TrySetResult(first + i);
                }
            }
            catch (Exception e)
            {
                // Nothing in the batch was committed: every appender learns it, none is answered as if it were.
                LogWriteFailed(_logger, batch.Count, e);
                foreach (var pending in batch)
                {
                    pending.Done.TrySetException(e);
                }
            }
            batch.Clear();
        }
    }

    private async Task<long> WriteBatchAsync(List<Pending> batch)
    {
        var cancellationToken = CancellationToken.None;
        await using var connection = await _store.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await _store.LockAsync(tx, "hub_audit", cancellationToken);
        var (lastSeq, lastHash) = await connection.QueryFirstOrDefaultAsync<(long, string)?>(new CommandDefinition(
            "SELECT seq, hash FROM hub_audit ORDER BY seq DESC LIMIT 1", transaction: tx, cancellationToken: cancellationToken)) ?? (0, AuditHashing.Genesis);

        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO hub_audit (seq, at, action, actor, resource, purpose, subjects, detail, prev_hash, hash) VALUES (@seq, @at, @action, @actor, @resource, @purpose, @subjects, @detail, @prev, @hash)";
        var p = new[] { "seq", "at", "action", "actor", "resource", "purpose", "subjects", "detail", "prev", "hash" }.Select(name =>
        {
            var parameter = insert.CreateParameter();
            parameter.ParameterName = name;
            insert.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        await using var index = connection.CreateCommand();
        index.Transaction = tx;
        index.CommandText = "INSERT INTO hub_audit_subjects (subject, seq) VALUES (@subject, @seq) ON CONFLICT DO NOTHING";
        var subjectParameter = index.CreateParameter();
        subjectParameter.ParameterName = "subject";
        index.Parameters.Add(subjectParameter);
        var seqParameter = index.CreateParameter();
        seqParameter.ParameterName = "seq";
        index.Parameters.Add(seqParameter);

        var at = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var prev = lastHash;
        var seq = lastSeq;
        var hashBytes = new byte[32];
        foreach (var pending in batch)
        {
            seq++;
            var e = pending.Entry;
            var subjectHashes = e.SubjectIds is { Count: > 0 } ids ? ids.Select(_keyring.HashSubject).Distinct(StringComparer.Ordinal).ToList() : null;
            var subjects = subjectHashes is null ? null : string.Join(',', subjectHashes);
            var detail = e.Detail is { Count: > 0 } ? JsonSerializer.Serialize(e.Detail) : null;
            AuditHashing.Compute(prev, seq, at, e.Action, e.Actor, e.Resource, e.Purpose, subjects, detail, _buffer, hashBytes);
            var hash = Convert.ToHexStringLower(hashBytes);
            p[0].Value = seq;
            p[1].Value = at;
            p[2].Value = e.Action;
            p[3].Value = e.Actor;
            p[4].Value = (object?)e.Resource ?? DBNull.Value;
            p[5].Value = (object?)e.Purpose ?? DBNull.Value;
            p[6].Value = (object?)subjects ?? DBNull.Value;
            p[7].Value = (object?)detail ?? DBNull.Value;
            p[8].Value = prev;
            p[9].Value = hash;
            await insert.ExecuteNonQueryAsync(cancellationToken);
            foreach (var subject in subjectHashes ?? [])
            {
                subjectParameter.Value = subject;
                seqParameter.Value = seq;
                await index.ExecuteNonQueryAsync(cancellationToken);
            }
            prev = hash;
        }
        await WriteCheckpointsAsync(connection, tx, seq, force: false, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return lastSeq + 1;
    }

    /// <summary>Signs checkpoints of <see cref="CheckpointEvery"/> records up to <paramref name="lastSeq"/>; with <paramref name="force"/>, also the remainder.</summary>
    private async Task WriteCheckpointsAsync(DbConnection connection, DbTransaction tx, long lastSeq, bool force, CancellationToken cancellationToken)
    {
        var covered = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT MAX(to_seq) FROM hub_audit_checkpoints", transaction: tx, cancellationToken: cancellationToken)) ?? 0;
        while (lastSeq - covered >= CheckpointEvery || (force && lastSeq > covered))
        {
            var from = covered + 1;
            var to = Math.Min(covered + CheckpointEvery, lastSeq);
            var leaves = (await connection.QueryAsync<string>(new CommandDefinition(
                    "SELECT hash FROM hub_audit WHERE seq BETWEEN @from AND @to ORDER BY seq", new { from, to }, tx, cancellationToken: cancellationToken)))
                .Select(Convert.FromHexString).ToList();
            var root = Convert.ToHexStringLower(MerkleTree.Root(leaves));
            using var signer = _keyring.CreateAuditSigner();
            var signature = Convert.ToBase64String(signer.SignData(MerkleTree.CheckpointMessage(from, to, root), System.Security.Cryptography.HashAlgorithmName.SHA256));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO hub_audit_checkpoints (to_seq, from_seq, root, signature, at) VALUES (@to, @from, @root, @signature, @at)",
                new { to, from, root, signature, at = _time.GetUtcNow().ToUnixTimeMilliseconds() }, tx, cancellationToken: cancellationToken));
            covered = to;
        }
    }

    private sealed record Pending(AuditEntry Entry, TaskCompletionSource<long> Done);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Error, Message = "Writing a batch of {Count} audit records failed; the callers were told")]
    private static partial void LogWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Signing the closing audit checkpoint failed")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);
}
