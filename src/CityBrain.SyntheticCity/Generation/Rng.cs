namespace CityBrain.SyntheticCity.Generation;

/// <summary>What a random stream is for; mixed into the key so that streams never overlap.</summary>
internal enum RngStream : ulong
{
    Geography = 1,
    Household = 2,
    Members = 3,
    Resident = 4,
    ResidentText = 5,
    Enterprise = 6,
    Institution = 7,
    Dirt = 8,
    Fraud = 9,
    Activity = 10,
    Live = 11,
    LegalRep = 12,
}

/// <summary>
/// SplitMix64 keyed by (seed, stream, entity): every entity draws from its own stream, so the output does
/// not depend on the order in which threads reach it.
/// </summary>
internal struct Rng
{
    private ulong _state;

    private Rng(ulong state) => _state = state;

    public static Rng For(long seed, RngStream stream, long entity, long sub = 0)
    {
        var key = Mix((ulong)seed ^ 0x5851F42D4C957F2DUL);
        key = Mix(key ^ ((ulong)stream * 0x9E3779B97F4A7C15UL));
        key = Mix(key ^ (ulong)entity);
        key = Mix(key ^ ((ulong)sub * 0xD1B54A32D192ED03UL));
        return new Rng(key);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, max).</summary>
    public int Next(int max) => (int)(((NextULong() >> 32) * (ulong)max) >> 32);

    /// <summary>Uniform in [min, maxExclusive).</summary>
    public int Next(int min, int maxExclusive) => min + Next(maxExclusive - min);

    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    public bool Chance(double p) => NextDouble() < p;

    public double Normal()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Log-normal around a median; sigma is the spread of the logarithm.</summary>
    public double LogNormal(double median, double sigma) => median * Math.Exp(sigma * Normal());

    public int Poisson(double mean)
    {
        var limit = Math.Exp(-mean);
        var k = 0;
        var p = NextDouble();
        while (p > limit && k < 50)
        {
            k++;
            p *= NextDouble();
        }
        return k;
    }

    public T Pick<T>(T[] items) => items[Next(items.Length)];
}

/// <summary>A table to draw items by weight (cumulative weights, binary search).</summary>
internal sealed class Weighted<T>
{
    private readonly double[] _cumulative;

    public Weighted(IReadOnlyList<(T Item, double Weight)> entries)
    {
        Items = new T[entries.Count];
        _cumulative = new double[entries.Count];
        double total = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            Items[i] = entries[i].Item;
            total += entries[i].Weight;
            _cumulative[i] = total;
        }
        Total = total;
    }

    public T[] Items { get; }

    public double Total { get; }

    public int PickIndex(ref Rng rng)
    {
        var target = rng.NextDouble() * Total;
        var index = Array.BinarySearch(_cumulative, target);
        index = index < 0 ? ~index : index;
        while (index < Items.Length - 1 && _cumulative[index] <= target)
        {
            index++; // an exact hit belongs to the next item; zero weights are never picked
        }
        return Math.Min(index, Items.Length - 1);
    }

    public T Pick(ref Rng rng) => Items[PickIndex(ref rng)];
}
