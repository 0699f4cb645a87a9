using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace CityBrain.Hub.Audit;

/// <summary>A stored audit record: what happened, chained to the record before it by <see cref="PrevHash"/>.</summary>
public sealed record AuditRecord(
    long Seq,
    long At,
    string Action,
    string Actor,
    string? Resource,
    string? Purpose,
    string? Subjects,
    string? Detail,
    string PrevHash,
    string Hash);

/// <summary>
/// The chain's hash: SHA-256 over the previous hash and a length-prefixed encoding of every column, so that no
/// two different records encode alike. One implementation, used by the writer and the verifier.
/// </summary>
public static class AuditHashing
{
    public const string Genesis = "0000000000000000000000000000000000000000000000000000000000000000";

    public static string Compute(string prevHash, long seq, long at, string action, string actor, string? resource, string? purpose, string? subjects, string? detail)
    {
        Span<byte> hash = stackalloc byte[32];
        Compute(prevHash, seq, at, action, actor, resource, purpose, subjects, detail, new ArrayBufferHolder(), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>Allocation-light variant for the verifier: reuses <paramref name="buffer"/>.</summary>
    internal static void Compute(string prevHash, long seq, long at, string action, string actor, string? resource, string? purpose, string? subjects, string? detail, ArrayBufferHolder buffer, Span<byte> destination)
    {
        var size = 16 + 7 * 4 + Max(prevHash) + Max(action) + Max(actor) + Max(resource) + Max(purpose) + Max(subjects) + Max(detail);
        var bytes = buffer.Rent(size);
        var position = Write(prevHash, bytes, 0);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(position), seq);
        position += 8;
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(position), at);
        position += 8;
        position = Write(action, bytes, position);
        position = Write(actor, bytes, position);
        position = Write(resource, bytes, position);
        position = Write(purpose, bytes, position);
        position = Write(subjects, bytes, position);
        position = Write(detail, bytes, position);
        SHA256.HashData(bytes.AsSpan(0, position), destination);
    }

    private static int Max(string? value) => value is null ? 0 : Encoding.UTF8.GetMaxByteCount(value.Length);

    private static int Write(string? value, byte[] bytes, int position)
    {
        if (value is null)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(position), -1);
            return position + 4;
        }
        var length = Encoding.UTF8.GetBytes(value, bytes.AsSpan(position + 4));
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(position), length);
        return position + 4 + length;
    }

    /// <summary>A growable scratch buffer, one per verifier or writer.</summary>
    internal sealed class ArrayBufferHolder
    {
        private byte[] _buffer = new byte[1024];

        public byte[] Rent(int size)
        {
            if (_buffer.Length < size)
            {
                _buffer = new byte[Math.Max(size, _buffer.Length * 2)];
            }
            return _buffer;
        }
    }
}
