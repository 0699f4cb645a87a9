using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Host;
using CityBrain.Hub.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CityBrain.Benchmarks.Load;

/// <summary>
/// The real hub, composed as <c>citybrain serve</c> composes it (CityBrainHost), on loopback with a SQLite store in a
/// temporary folder. The population system is registered, and the civil-affairs system holds an approved grant with
/// fields masked, so a call runs the whole path: token, registry, grant, quota, YARP, masking, audit chain.
/// </summary>
internal sealed class HubUnderLoad : IAsyncDisposable
{
    public const string Purpose = "dibao-eligibility";

    private readonly WebApplication _app;

    private HubUnderLoad(WebApplication app, string dataDirectory, string baseUrl)
    {
        _app = app;
        DataDirectory = dataDirectory;
        BaseUrl = baseUrl;
    }

    public string DataDirectory { get; }

    public string BaseUrl { get; }

    public string ConsumerToken { get; private set; } = "";

    public IServiceProvider Services => _app.Services;

    public static async Task<HubUnderLoad> StartAsync(string backendUrl, CancellationToken cancellationToken)
    {
        var data = Path.Combine(Path.GetTempPath(), "citybrain-bench-" + Guid.NewGuid().ToString("N")[..10]);
        var app = CityBrainHost.Create(new HostSettings(data, "sqlite:" + Path.Combine(data, "citybrain.db"), "http://127.0.0.1:0"),
            builder => builder.Logging.ClearProviders());
        await CityBrainHost.PrepareAsync(app, cancellationToken);
        await app.StartAsync(cancellationToken);
        var hub = new HubUnderLoad(app, data, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await hub.RegisterAndGrantAsync(backendUrl, cancellationToken);
        return hub;
    }

    private async Task RegisterAndGrantAsync(string backendUrl, CancellationToken cancellationToken)
    {
        var tokens = Services.GetRequiredService<TokenService>();
        using var admin = Client(tokens.Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));
        var yaml = $$"""
            units:
              - { code: gaj, name: 杭州市公安局, divisionCode: "330100" }
              - { code: mzj, name: 杭州市民政局, divisionCode: "330100" }
            systems:
              - code: police-pop
                unit: gaj
                name: 人口信息系统
                baseUrl: {{backendUrl}}
                credentials: { header: X-Api-Key, value: {{PersonBackend.ApiKey}} }
                timeoutMs: 5000
                interfaces:
                  - code: person
                    name: 人口基本信息查询
                    method: GET
                    path: /persons/{sfzh}
                    sharing: conditional
                    parameters: [ { name: sfzh, in: path, required: true, format: resident-id } ]
                    fields:
                      - { name: XM, level: personal, mask: name }
                      - { name: SFZH, level: sensitive-personal, mask: resident-id }
                      - { name: XB, level: internal }
                      - { name: CSRQ, level: personal }
                      - { name: DZ, level: personal, mask: address }
                      - { name: SJHM, level: personal, mask: phone }
              - { code: mz-dibao, unit: mzj, name: 最低生活保障系统, baseUrl: "http://127.0.0.1:9/" }
            """;
        await Expect(await admin.PostAsync("/api/hub/registry", new StringContent(yaml, Encoding.UTF8, "application/yaml"), cancellationToken), cancellationToken);

        ConsumerToken = tokens.Issue(new Caller("system:mz-dibao", HubRoles.System, "mzj", "mz-dibao", null), TimeSpan.FromHours(4));
        using var consumer = Client(ConsumerToken);
        var filed = await Expect(await consumer.PostAsJsonAsync("/api/hub/requests", new
        {
            consumer = "mz-dibao",
            resource = "police-pop/person",
            fields = new[] { "XM", "SFZH", "XB", "DZ", "SJHM" },
            purpose = Purpose,
            legalBasis = "《社会救助暂行办法》第十一条",
            days = 90,
        }, cancellationToken), cancellationToken);
        using var owner = Client(tokens.Issue(new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null), TimeSpan.FromHours(1)));
        await Expect(await owner.PostAsJsonAsync($"/api/hub/requests/{filed["id"]}/decision", new
        {
            approve = true,
            fields = new[] { "XB" },
            maskedFields = new[] { "XM", "SFZH", "DZ" },
            days = 30,
            reason = "phone number not needed for eligibility",
        }, cancellationToken), cancellationToken);
    }

    /// <summary>One call as the load sends it, with its answer checked: masked as granted, nothing more released.</summary>
    public async Task CheckOneCallAsync(CancellationToken cancellationToken)
    {
        using var consumer = Client(ConsumerToken);
        consumer.DefaultRequestHeaders.Add("X-Purpose", Purpose);
        var body = await Expect(await consumer.GetAsync($"/hub/call/police-pop/person/{PersonBackend.ResidentIds[0]}", cancellationToken), cancellationToken);
        var keys = string.Join(',', body.Select(p => p.Key).Order(StringComparer.Ordinal));
        if (keys != "DZ,SFZH,XB,XM" || (string?)body["XM"] != "张*" || (string?)body["SFZH"] != "330106********123X")
        {
            throw new InvalidOperationException("the hub did not answer the granted fields masked as granted; the benchmark would measure the wrong thing");
        }
    }

    private HttpClient Client(string token)
    {
        var client = new HttpClient { BaseAddress = new Uri(BaseUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<JsonObject> Expect(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"setting up the hub failed: {(int)response.StatusCode} {text}");
        }
        return JsonNode.Parse(text) as JsonObject ?? [];
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
    }
}
