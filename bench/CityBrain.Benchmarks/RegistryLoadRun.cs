using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using CityBrain.Host;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CityBrain.Benchmarks;

/// <summary>
/// <c>registry</c>: a city registers its interfaces in one go (Hangzhou: 69 departments, 12,200 interfaces). One
/// registry file of <c>--interfaces</c> interfaces across <c>--units</c> units and <c>--systems</c> systems, applied
/// to a fresh SQLite store through the real RegistryService, then again (every row updated), and through
/// POST /api/hub/registry on a running hub as a YAML body.
/// </summary>
internal static class RegistryLoadRun
{
    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var interfaces = args.Int("interfaces", 12_000);
        var units = args.Int("units", 69);
        var systems = args.Int("systems", 300);
        var yaml = CityRegistry(interfaces, units, systems);
        Console.WriteLine($"registry load run: {Environment.ProcessorCount} cores, .NET {Environment.Version}; {units} units, {systems} systems, {interfaces:N0} interfaces, a {Encoding.UTF8.GetByteCount(yaml) / 1e6:F1} MB YAML file");
        var admin = new Caller("admin", HubRoles.Admin, "dsj", null, null);

        await using (var hub = await FreshHubAsync(start: false, cancellationToken))
        {
            var registry = hub.App.Services.GetRequiredService<IRegistryAdmin>();
            var watch = Stopwatch.StartNew();
            var manifest = RegistryFile.Parse(yaml, yaml: true);
            var parsed = watch.Elapsed;
            var result = await registry.ApplyAsync(manifest, admin, cancellationToken);
            var applied = watch.Elapsed;
            Report("RegistryService.ApplyAsync, new registry", result, applied, $"of which YAML parsing {parsed.TotalSeconds:F2} s");

            watch.Restart();
            result = await registry.ApplyAsync(RegistryFile.Parse(yaml, yaml: true), admin, cancellationToken);
            Report("RegistryService.ApplyAsync, same file again (every row updated)", result, watch.Elapsed, null);
            var stored = await hub.App.Services.GetRequiredService<RegistryStore>().CountInterfacesAsync(cancellationToken);
            if (stored != interfaces)
            {
                throw new InvalidOperationException($"the store holds {stored} interfaces, not {interfaces}");
            }
        }

        await using (var hub = await FreshHubAsync(start: true, cancellationToken))
        {
            using var client = new HttpClient { BaseAddress = new Uri(hub.BaseUrl), Timeout = TimeSpan.FromMinutes(5) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                hub.App.Services.GetRequiredService<TokenService>().Issue(admin, TimeSpan.FromHours(1)));
            var watch = Stopwatch.StartNew();
            using var response = await client.PostAsync("/api/hub/registry", new StringContent(yaml, Encoding.UTF8, "application/yaml"), cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            var elapsed = watch.Elapsed;
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"POST /api/hub/registry answered {(int)response.StatusCode}: {body[..Math.Min(body.Length, 500)]}");
            }
            var stored = await hub.App.Services.GetRequiredService<RegistryStore>().CountInterfacesAsync(cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"POST /api/hub/registry (YAML), new registry: {stored:N0} interfaces stored in {elapsed.TotalSeconds:F2} s (target < 10 s)"));
        }
        return 0;
    }

    private static void Report(string what, RegistryChangeResult result, TimeSpan elapsed, string? note) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what}: {result.Units} units, {result.Systems} systems, {result.Interfaces:N0} interfaces in {elapsed.TotalSeconds:F2} s (target < 10 s){(note is null ? "" : "; " + note)}"));

    /// <summary>A city's registry file: units, each with systems, each with person-like interfaces of six fields.</summary>
    internal static string CityRegistry(int interfaces, int units, int systems)
    {
        var yaml = new StringBuilder("units:\n");
        for (var u = 0; u < units; u++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  - {{ code: unit-{u:D3}, name: 部门{u:D3}, divisionCode: \"330100\", parent: dsj }}\n");
        }
        yaml.Append("systems:\n");
        for (var s = 0; s < systems; s++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $$"""
                  - code: sys-{{s:D3}}
                    unit: unit-{{s % units:D3}}
                    name: 业务系统{{s:D3}}
                    baseUrl: http://10.20.{{s / 250}}.{{s % 250 + 1}}:8080/
                    credentials: { header: X-Api-Key, value: key-{{s:D3}} }
                    timeoutMs: 3000
                    interfaces:

                """);
            // Interfaces spread evenly; the first systems take the remainder.
            var count = interfaces / systems + (s < interfaces % systems ? 1 : 0);
            for (var i = 0; i < count; i++)
            {
                yaml.Append(CultureInfo.InvariantCulture, $$"""
                          - code: query-{{i:D3}}
                            name: 信息查询{{i:D3}}
                            method: GET
                            path: /api/v1/query-{{i:D3}}/{sfzh}
                            sharing: {{(i % 5 == 0 ? "unconditional" : "conditional")}}
                            parameters: [ { name: sfzh, in: path, required: true, format: resident-id }, { name: year, in: query, format: integer } ]
                            fields:
                              - { name: XM, level: personal, mask: name }
                              - { name: SFZH, level: sensitive-personal, mask: resident-id }
                              - { name: XB, level: internal }
                              - { name: DZ, level: personal, mask: address }
                              - { name: SJHM, level: personal, mask: phone }
                              - { name: ZT, level: public }

                    """);
            }
        }
        return yaml.ToString();
    }

    private static async Task<FreshHub> FreshHubAsync(bool start, CancellationToken cancellationToken)
    {
        var data = Path.Combine(Path.GetTempPath(), "citybrain-bench-registry-" + Guid.NewGuid().ToString("N")[..10]);
        var app = CityBrainHost.Create(new HostSettings(data, "sqlite:" + Path.Combine(data, "citybrain.db"), "http://127.0.0.1:0"), builder => builder.Logging.ClearProviders());
        await CityBrainHost.PrepareAsync(app, cancellationToken);
        var baseUrl = "";
        if (start)
        {
            await app.StartAsync(cancellationToken);
            baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        }
        return new FreshHub(app, data, baseUrl, start);
    }

    private sealed record FreshHub(WebApplication App, string DataDirectory, string BaseUrl, bool Started) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            if (Started)
            {
                await App.StopAsync(CancellationToken.None);
            }
            await App.DisposeAsync();
            Directory.Delete(DataDirectory, recursive: true);
        }
    }
}
