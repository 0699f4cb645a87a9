using CityBrain.Cockpit.Indicators;
using CityBrain.Cockpit.Live;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Cockpit.Tests.Indicators;

/// <summary>A live metric source that announces its changes gets them shown at once, not at the indicator's next interval.</summary>
public sealed class PushedMetricTests
{
    [Fact]
    public async Task MetricChanged_BurstOfChanges_IndicatorRefreshedOnceWithTheLatestValueLongBeforeItsInterval()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var gauge = new PushingGauge();
        await using var cockpit = await CockpitServices.CreateAsync(TestStores.Sqlite, services =>
        {
            services.AddCockpit();
            services.AddSingleton<ILiveMetricSource>(gauge);
        });
        await cockpit.Get<IndicatorCatalog>().SaveAsync(new IndicatorDefinition
        {
            Code = "test.crowd", Name = "客流", OwningUnit = "gaj", Source = IndicatorSource.Metric, Query = "test.crowd", Measure = "人",
            RefreshSeconds = 3600,
        }, "admin", cancellationToken);
        var feed = cockpit.Get<CockpitFeed>();
        var refresher = cockpit.Get<IndicatorRefresher>();
        await refresher.StartAsync(cancellationToken);
        try
        {
            await ValueShownAsync(feed, 10); // the refresh at start
            var reads = gauge.Reads;

            gauge.Set(20);
            gauge.Set(30);
            gauge.Set(40);
            // The clock is the test's: the refresh waits for the debounce window, then reads once and shows the latest value.
            Assert.Equal(reads, gauge.Reads);
            cockpit.Time.Advance(IndicatorRefresher.PushDebounce);
            await ValueShownAsync(feed, 40);
            Assert.Equal(reads + 1, gauge.Reads);
        }
        finally
        {
            await refresher.StopAsync(CancellationToken.None);
        }
    }

    private static async Task ValueShownAsync(CockpitFeed feed, double value)
    {
        var shown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(IndicatorSnapshot s)
        {
            if (s.Code == "test.crowd" && s.Value == value)
            {
                shown.TrySetResult();
            }
        }
        feed.SnapshotChanged += OnChanged;
        try
        {
            if (feed.Find("test.crowd")?.Value == value)
            {
                return;
            }
            await shown.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
        finally
        {
            feed.SnapshotChanged -= OnChanged;
        }
    }

    private sealed class PushingGauge : ILiveMetricSource, ILiveMetricChanges
    {
        private volatile int _value = 10;
        private int _reads;

        public event Action<string>? MetricChanged;

        public int Reads => Volatile.Read(ref _reads);

        public void Set(int value)
        {
            _value = value;
            MetricChanged?.Invoke("test.crowd");
        }

        public ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken)
        {
            if (metric != "test.crowd")
            {
                return ValueTask.FromResult<IndicatorReading?>(null);
            }
            Interlocked.Increment(ref _reads);
            return ValueTask.FromResult<IndicatorReading?>(IndicatorReading.Of(_value));
        }
    }
}
