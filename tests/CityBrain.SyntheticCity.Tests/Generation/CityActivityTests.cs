using CityBrain.SyntheticCity.Generation;

namespace CityBrain.SyntheticCity.Tests.Generation;

public sealed class CityActivityTests
{
    private static readonly DateTimeOffset Morning = new(2026, 3, 2, 9, 30, 0, TimeSpan.FromHours(8));

    [Fact]
    public void Stream_SameSeedAndStart_SameEventsInTimeOrder()
    {
        var first = CityActivity.Stream(7, Morning).Take(500).ToList();
        var second = CityActivity.Stream(7, Morning).Take(500).ToList();

        Assert.Equal(first, second);
        Assert.All(first, e => Assert.True(e.Time >= Morning));
        Assert.Equal(first.OrderBy(e => e.Time).Select(e => e.Time), first.Select(e => e.Time));
        Assert.Contains(first, e => e.Kind == "swipe" && e.Amount > 0);
        Assert.Contains(first, e => e.Kind == "parking");
        Assert.All(first, e => Assert.StartsWith("3301", e.DistrictCode, StringComparison.Ordinal));
    }

    [Fact]
    public void Stream_LaterStart_ContinuesTheSameTimeline()
    {
        var whole = CityActivity.Stream(7, Morning).TakeWhile(e => e.Time < Morning.AddMinutes(30)).ToList();
        var later = CityActivity.Stream(7, Morning.AddMinutes(10)).TakeWhile(e => e.Time < Morning.AddMinutes(30)).ToList();

        Assert.Equal(whole.Where(e => e.Time >= Morning.AddMinutes(10)), later);
    }

    [Fact]
    public void Stream_OtherSeed_OtherEvents()
    {
        Assert.NotEqual(CityActivity.Stream(7, Morning).Take(100), CityActivity.Stream(8, Morning).Take(100));
    }

    [Fact]
    public void Stream_NightIsQuieterThanDay()
    {
        var night = new DateTimeOffset(2026, 3, 2, 2, 0, 0, TimeSpan.FromHours(8));
        var atNight = CityActivity.Stream(7, night).TakeWhile(e => e.Time < night.AddHours(1)).Count();
        var inTheMorning = CityActivity.Stream(7, Morning).TakeWhile(e => e.Time < Morning.AddHours(1)).Count();

        Assert.True(inTheMorning > atNight * 3, $"{inTheMorning} events in a morning hour, {atNight} at night");
    }
}
