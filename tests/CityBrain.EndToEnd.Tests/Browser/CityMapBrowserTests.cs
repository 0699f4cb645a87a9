using System.Net;
using System.Text;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>
/// The city cockpit's map shows the sensed city's live entities, created and changed through the NGSI-LD API of the real
/// host, in a real headless Chromium. The points' canvas pixels cannot be asserted, so the test reads the list the page
/// renders beside the map (id, kind, value, status), which the same render call feeds to the chart.
/// </summary>
public sealed class CityMapBrowserTests : IAsyncLifetime
{
    private const string CarPark = "urn:ngsi-ld:OffStreetParking:test-carpark-1";
    private const string Station = "urn:ngsi-ld:AirQualityObserved:test-air-1";
    private HubNode _node = null!;
    private Chromium _chromium = null!;
    private HttpClient _ngsi = null!;

    public async ValueTask InitializeAsync()
    {
        _node = await HubNode.StartAsync(TestStores.Sqlite);
        _chromium = await Chromium.LaunchAsync();
        _ngsi = _node.Client(_node.Services.GetRequiredService<TokenService>().Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));
    }

    public async ValueTask DisposeAsync()
    {
        _ngsi.Dispose();
        await _chromium.DisposeAsync();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task CityCockpit_EntityChangesOverNgsiLd_MapPointFollowsLiveAndLayersToggle()
    {
        await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", """
            {"id":"urn:ngsi-ld:OffStreetParking:test-carpark-1","type":"OffStreetParking",
             "occupiedSpotNumber":{"type":"Property","value":50},"totalSpotNumber":{"type":"Property","value":200},
             "location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[120.13,30.26]}}}
            """, HttpStatusCode.Created);
        await SendAsync(HttpMethod.Post, "/ngsi-ld/v1/entities", """
            {"id":"urn:ngsi-ld:AirQualityObserved:test-air-1","type":"AirQualityObserved","airQualityIndex":{"type":"Property","value":42},
             "location":{"type":"GeoProperty","value":{"type":"Point","coordinates":[120.2,30.25]}}}
            """, HttpStatusCode.Created);

        var page = await _chromium.OpenAsync(1920, 1080);
        await Chromium.LoginAsync(page, _node.BaseAddress, "leader", "leader-demo");
        await page.Locator("[data-testid='district-map'][data-rendered='true'] canvas").WaitForAsync();
        var carPark = page.Locator($"[data-testid='map-point'][data-id='{CarPark}']");
        var station = page.Locator($"[data-testid='map-point'][data-id='{Station}']");
        await Expect(carPark).ToHaveAttributeAsync("data-value", "25");
        await Expect(carPark).ToHaveAttributeAsync("data-status", "Normal");
        await Expect(carPark).ToContainTextAsync("test-carpark-1 · 占用 25%");
        await Expect(station).ToHaveAttributeAsync("data-status", "Normal");
        await Chromium.ScreenshotAsync(page, "city-map-points");

        // The car park fills up: no reload, the point turns red over the page's live connection.
        await SendAsync(HttpMethod.Patch, $"/ngsi-ld/v1/entities/{Uri.EscapeDataString(CarPark)}/attrs", """
            {"occupiedSpotNumber":{"type":"Property","value":196}}
            """, HttpStatusCode.NoContent);
        await Expect(carPark).ToHaveAttributeAsync("data-value", "98");
        await Expect(carPark).ToHaveAttributeAsync("data-status", "Alarm");
        await Chromium.ScreenshotAsync(page, "city-map-point-alarm");

        // The air-quality layer is hidden and shown again; the car parks stay.
        var airLayer = page.Locator("[data-testid='map-layer'][data-kind='空气质量 Air quality'] input");
        await airLayer.ClickAsync();
        await Expect(station).ToHaveCountAsync(0);
        await Expect(carPark).ToHaveCountAsync(1);
        await airLayer.ClickAsync();
        await Expect(station).ToHaveCountAsync(1);

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    private async Task SendAsync(HttpMethod method, string path, string json, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        using var response = await _ngsi.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
    }
}
