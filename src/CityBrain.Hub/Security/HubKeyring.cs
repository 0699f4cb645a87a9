using System.Security.Cryptography;
using CityBrain.Kernel.Storage;
using Dapper;

namespace CityBrain.Hub.Security;

/// <summary>
/// The hub's keys, kept in the operational store so that every node (and the CLI verbs) share them:
/// the token signing key (HMAC-SHA256), the audit checkpoint signing key (ECDSA P-256) and the key of the
/// keyed hash that stands for resident IDs in the audit log. Created on first use, under a lock.
/// </summary>
public sealed class HubKeyring
{
    private HubKeyring(byte[] tokenSigningKey, byte[] subjectHashKey, byte[] auditSigningKeyPkcs8)
    {
        TokenSigningKey = tokenSigningKey;
        SubjectHashKey = subjectHashKey;
        AuditSigningKeyPkcs8 = auditSigningKeyPkcs8;
    }

    public byte[] TokenSigningKey { get; }

    public byte[] SubjectHashKey { get; }

    public byte[] AuditSigningKeyPkcs8 { get; }

    /// <summary>A new ECDsa instance with the audit signing key; the caller disposes it.</summary>
    public ECDsa CreateAuditSigner()
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportPkcs8PrivateKey(AuditSigningKeyPkcs8, out _);
        return ecdsa;
    }

    /// <summary>The keyed hash that stands for a subject (resident ID, credit code) wherever it must not appear in clear.</summary>
    public string HashSubject(string subjectId) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(SubjectHashKey, System.Text.Encoding.UTF8.GetBytes(subjectId.Trim().ToUpperInvariant())));

    /// <summary>The key a person's use of a scenario is counted under (ScenarioUsed): the citizen's resident ID or the staff member's name, hashed.</summary>
    public string UserKey(Caller caller) => HashSubject(caller.ResidentId ?? caller.Name);

    public static async Task<HubKeyring> LoadOrCreateAsync(IOperationalStore store, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await store.LockAsync(transaction, "hub_keys", cancellationToken);
        var keys = (await connection.QueryAsync<(string Name, string Value)>(
            new CommandDefinition("SELECT name, value FROM hub_keys", transaction: transaction, cancellationToken: cancellationToken)))
            .ToDictionary(k => k.Name, k => Convert.FromBase64String(k.Value), StringComparer.Ordinal);

        byte[] Ensure(string name, Func<byte[]> create)
        {
            if (keys.TryGetValue(name, out var existing))
            {
                return existing;
            }
            var value = create();
            connection.Execute(new CommandDefinition("INSERT INTO hub_keys (name, value) VALUES (@name, @value)",
                new { name, value = Convert.ToBase64String(value) }, transaction, cancellationToken: cancellationToken));
            return value;
        }

        var token = Ensure("token-signing", () => RandomNumberGenerator.GetBytes(32));
        var subject = Ensure("subject-hash", () => RandomNumberGenerator.GetBytes(32));
        var audit = Ensure("audit-signing", () =>
        {
            using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            return ecdsa.ExportPkcs8PrivateKey();
        });
        await transaction.CommitAsync(cancellationToken);
        return new HubKeyring(token, subject, audit);
    }
}
