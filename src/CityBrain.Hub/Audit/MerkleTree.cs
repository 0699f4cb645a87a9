using System.Security.Cryptography;
using System.Text;

namespace CityBrain.Hub.Audit;

/// <summary>
/// RFC 6962 Merkle trees over record hashes: leaves are H(0x00 || leaf), nodes H(0x01 || left || right), and a
/// tree of n leaves splits at the largest power of two below n. Checkpoints sign the root of a range.
/// </summary>
public static class MerkleTree
{
    public static byte[] Root(IReadOnlyList<byte[]> leaves) => leaves.Count == 0 ? SHA256.HashData([]) : Hash(leaves, 0, leaves.Count);

    /// <summary>The audit path of leaf <paramref name="index"/> (RFC 6962 §2.1.1), nearest sibling first.</summary>
    public static List<byte[]> Path(IReadOnlyList<byte[]> leaves, int index)
    {
        var path = new List<byte[]>();
        BuildPath(leaves, index, 0, leaves.Count, path);
        return path;
    }

    /// <summary>Recomputes the root from a leaf and its audit path.</summary>
    public static byte[] RootFromPath(byte[] leaf, int index, int size, IReadOnlyList<byte[]> path)
    {
        var (root, used) = Climb(leaf, index, size, path, path.Count);
        return used == 0 ? root : [];
    }

    private static (byte[] Root, int Remaining) Climb(byte[] leaf, int index, int size, IReadOnlyList<byte[]> path, int remaining)
    {
        if (size == 1)
        {
            return (LeafHash(leaf), remaining);
        }
        var k = SplitPoint(size);
        if (remaining == 0)
        {
            return ([], -1);
        }
        var sibling = path[remaining - 1];
        if (index < k)
        {
            var (left, rest) = Climb(leaf, index, k, path, remaining - 1);
            return rest < 0 ? ([], -1) : (NodeHash(left, sibling), rest);
        }
        var (right, rest2) = Climb(leaf, index - k, size - k, path, remaining - 1);
        return rest2 < 0 ? ([], -1) : (NodeHash(sibling, right), rest2);
    }

    private static void BuildPath(IReadOnlyList<byte[]> leaves, int index, int start, int count, List<byte[]> path)
    {
        if (count == 1)
        {
            return;
        }
        var k = SplitPoint(count);
        if (index < k)
        {
            BuildPath(leaves, index, start, k, path);
            path.Add(Hash(leaves, start + k, count - k));
        }
        else
        {
            BuildPath(leaves, index - k, start + k, count - k, path);
            path.Add(Hash(leaves, start, k));
        }
    }

    private static byte[] Hash(IReadOnlyList<byte[]> leaves, int start, int count)
    {
        if (count == 1)
        {
            return LeafHash(leaves[start]);
        }
        var k = SplitPoint(count);
        return NodeHash(Hash(leaves, start, k), Hash(leaves, start + k, count - k));
    }

    private static int SplitPoint(int n)
    {
        var k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }
        return k;
    }

    private static byte[] LeafHash(byte[] leaf)
    {
        Span<byte> data = stackalloc byte[1 + leaf.Length];
        data[0] = 0;
        leaf.CopyTo(data[1..]);
        return SHA256.HashData(data);
    }

    private static byte[] NodeHash(byte[] left, byte[] right)
    {
        Span<byte> data = stackalloc byte[1 + left.Length + right.Length];
        data[0] = 1;
        left.CopyTo(data[1..]);
        right.CopyTo(data[(1 + left.Length)..]);
        return SHA256.HashData(data);
    }

    /// <summary>What a checkpoint's signature covers.</summary>
    public static byte[] CheckpointMessage(long fromSeq, long toSeq, string rootHex) =>
        Encoding.UTF8.GetBytes($"citybrain-audit-checkpoint|{fromSeq}|{toSeq}|{rootHex}");
}
