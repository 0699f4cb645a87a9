using System.Collections.Concurrent;
using CityBrain.Host.Demo;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace CityBrain.EndToEnd.Tests;

/// <summary>The demo city's pulse as the cockpit sees it: the kinds that changed are announced on the clock's tick, not left to a poll.</summary>
public sealed class CityPulseTests
{
    [Fact]
    public async Task Tick_EventsHappen_EachChangedKindAnnouncedWithItsCountReadable()
    {
        var ct = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 2, 0, 0, TimeSpan.Zero));
        // A large city, so that a few city hours hold swipes, parking and hotline calls in every run of the seed.
        using var clock = new CityClock(time, new DemoCitySettings(true, 2_000_000, 42), NullLogger<CityClock>.Instance);
        var pulse = new CityPulseMetrics(clock);
        var announced = new ConcurrentDictionary<string, bool>(StringComparer.Ordinal);
        var hotline = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pulse.MetricChanged += metric =>
        {
            announced[metric] = true;
            if (metric == "city.today.hotline")
            {
                hotline.TrySetResult();
            }
        };
        await clock.StartAsync(ct);
        try
        {
            Assert.Empty(announced);

            // A real minute is a city hour. The clock's loop starts on a background thread, so its timer may not exist at the
            // first advance: move on a minute at a time until a tick has counted hotline calls and announced them.
            for (var minute = 0; minute < 12 && !hotline.Task.IsCompleted; minute++)
            {
                time.Advance(TimeSpan.FromMinutes(1));
                await Task.WhenAny(hotline.Task, Task.Delay(TimeSpan.FromSeconds(2), ct));
            }
            Assert.True(hotline.Task.IsCompleted, "no hotline calls announced in 12 city hours");

            Assert.Contains("city.today.swipe", announced.Keys);
            Assert.Contains("city.today.parking", announced.Keys);
            var read = await pulse.ReadAsync("city.today.hotline", ct);
            Assert.NotNull(read);
            Assert.True(read.City > 0, "hotline calls were announced, so some were counted");
            Assert.Equal(read.City, read.ByArea.Values.Sum());
            Assert.Null(await pulse.ReadAsync("hub.calls", ct));
        }
        finally
        {
            await clock.StopAsync(CancellationToken.None);
        }
    }
}
