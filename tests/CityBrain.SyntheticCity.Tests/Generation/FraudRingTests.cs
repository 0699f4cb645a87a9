using System.Globalization;

namespace CityBrain.SyntheticCity.Tests.Generation;

public sealed class FraudRingTests(GeneratedCity city) : IClassFixture<GeneratedCity>
{
    [Fact]
    public void FraudRings_MembersSwipeTogetherAtTheRingsInstitutionsWithinMinutes()
    {
        var rings = city["truth/fraud_rings.csv"].Rows.GroupBy(r => r[0]).ToList();
        Assert.True(rings.Count >= 2, "at least two rings in a 20,000-resident city");
        var residents = city["truth/residents.csv"].ByKey("resident_id");
        var swipes = city["truth/swipes.csv"].Rows.ToLookup(s => s[1]);
        foreach (var ring in rings)
        {
            var members = ring.Select(r => r[1]).Distinct().ToList();
            var institutions = ring.Select(r => r[2]).ToHashSet();
            Assert.InRange(members.Count, 5, 12);
            Assert.All(members, m => Assert.Equal("", residents[m][22]));
            // Group the members' swipes at the ring's institutions into 30-minute windows: several windows hold every member.
            var times = members.SelectMany(m => swipes[m].Where(s => institutions.Contains(s[2])).Select(s => (Member: m, Time: DateTime.Parse(s[3], CultureInfo.InvariantCulture)))).ToList();
            var together = times.Select(t => times.Where(o => Math.Abs((o.Time - t.Time).TotalMinutes) <= 25).Select(o => o.Member).Distinct().Count()).Max();
            Assert.Equal(members.Count, together);
            Assert.True(times.Count >= members.Count * 4, "at least four sessions per ring");
        }
    }
}
