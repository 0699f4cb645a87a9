namespace CityBrain.SyntheticCity.Generation;

/// <summary>Something that happens in the live city: a swipe, a car parking, a hotline call, a birth, a death, a move.</summary>
/// <param name="Time">When, Asia/Shanghai (+08:00).</param>
/// <param name="Kind">swipe, parking, hotline, birth, death, move.</param>
/// <param name="DistrictCode">Where (one of Hangzhou's 13 district codes).</param>
/// <param name="Category">swipe: hospital/clinic/pharmacy; hotline: its category (噪声扰民 ...); otherwise empty.</param>
/// <param name="Amount">Yuan paid (swipes, parking), else 0.</param>
public sealed record CityEvent(DateTimeOffset Time, string Kind, string DistrictCode, string Category, decimal Amount);

/// <summary>
/// The city clock: a deterministic, endless stream of everyday events so that live views move. Each minute
/// draws its events from its own stream (seed, minute), so any starting point gives the same events for
/// the same minutes. Volumes follow the generated city's rates for a city of the given size, with a
/// day-night rhythm. The events are aggregate-level (no personal data).
/// </summary>
public static class CityActivity
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    public static IEnumerable<CityEvent> Stream(long seed, DateTimeOffset from, int residents = CityGenerationOptions.DefaultResidents)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(residents, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(residents, CityGenerationOptions.MaxResidents);
        return StreamIterator(seed, from.ToOffset(Shanghai), residents);
    }

    private static IEnumerable<CityEvent> StreamIterator(long seed, DateTimeOffset from, int residents)
    {
        var districts = Gazetteer.Create(seed).DistrictByPopulation;
        var minute = from.ToUnixTimeSeconds() / 60;
        var buffer = new List<CityEvent>();
        while (true)
        {
            buffer.Clear();
            var start = DateTimeOffset.FromUnixTimeSeconds(minute * 60).ToOffset(Shanghai);
            var rng = Rng.For(seed, RngStream.Live, minute);
            var rhythm = Rhythm(start.Hour);
            // Daily volumes per resident, from the generator's rates (see docs/synthetic-city.md).
            Add(buffer, ref rng, districts, start, "swipe", residents * 0.012 * rhythm / 1440);
            Add(buffer, ref rng, districts, start, "parking", residents * 0.024 * rhythm / 1440);
            Add(buffer, ref rng, districts, start, "hotline", residents * 0.0007 * rhythm / 1440);
            Add(buffer, ref rng, districts, start, "birth", residents * 0.00003 / 1440);
            Add(buffer, ref rng, districts, start, "death", residents * 0.000019 / 1440);
            Add(buffer, ref rng, districts, start, "move", residents * 0.00016 * rhythm / 1440);
            buffer.Sort((a, b) => a.Time.CompareTo(b.Time) is var c && c != 0 ? c : string.CompareOrdinal(a.Kind, b.Kind));
            foreach (var e in buffer)
            {
                if (e.Time >= from)
                {
                    yield return e;
                }
            }
            minute++;
        }
    }

    /// <summary>Relative activity by hour: quiet at night, peaks late morning and early evening (mean about 1).</summary>
    private static double Rhythm(int hour) => hour switch
    {
        < 6 => 0.15,
        < 8 => 0.8,
        < 12 => 1.8,
        < 14 => 1.2,
        < 18 => 1.6,
        < 22 => 1.2,
        _ => 0.4,
    };

    private static void Add(List<CityEvent> buffer, ref Rng rng, Weighted<District> districts, DateTimeOffset start, string kind, double mean)
    {
        var count = rng.Poisson(mean);
        for (var i = 0; i < count; i++)
        {
            var time = start.AddSeconds(rng.Next(60));
            var district = districts.Pick(ref rng).Code;
            var (category, amount) = kind switch
            {
                "swipe" => rng.NextDouble() switch
                {
                    < 0.15 => ("hospital", rng.LogNormal(600, 0.7)),
                    < 0.45 => ("clinic", rng.LogNormal(150, 0.7)),
                    _ => ("pharmacy", rng.LogNormal(90, 0.7)),
                },
                "parking" => ("", rng.Next(0, 13) * 5.0),
                "hotline" => (CityBuild.HotlineCategory(ref rng), 0.0),
                _ => ("", 0.0),
            };
            buffer.Add(new CityEvent(time, kind, district, category, Math.Round((decimal)amount, 2)));
        }
    }
}
