using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CityBrain.Benchmarks.Load;

/// <summary>
/// A department's population service as the end-to-end tests have it: GET /persons/{sfzh} answers a person in the
/// department's own pinyin-initial fields, behind an API key. On its own Kestrel port on loopback.
/// </summary>
internal sealed class PersonBackend : IAsyncDisposable
{
    public const string ApiKey = "gaj-bench-key";

    /// <summary>Residents with valid GB 11643 check characters; requests cycle through them.</summary>
    public static readonly IReadOnlyList<string> ResidentIds = ["33010619900101123X", "33010619851212002X"];

    private static readonly JsonSerializerOptions PinyinStyle = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;

    private PersonBackend(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<PersonBackend> StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var people = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [ResidentIds[0]] = new { XM = "张三", SFZH = ResidentIds[0], XB = "1", CSRQ = "19900101", DZ = "浙江省杭州市西湖区文新街道文一西路100号3幢2单元501室", SJHM = "13812345678", HJZT = "正常" },
            [ResidentIds[1]] = new { XM = "欧阳娜娜", SFZH = ResidentIds[1], XB = "2", CSRQ = "19851212", DZ = "浙江省杭州市西湖区北山街道曙光路8号", SJHM = "13998765432", HJZT = "正常" },
        };
        app.MapGet("/persons/{sfzh}", (string sfzh, HttpRequest request) =>
            request.Headers["X-Api-Key"] != ApiKey ? Results.StatusCode(401)
            : people.TryGetValue(sfzh, out var person) ? Results.Json(person, PinyinStyle)
            : Results.NotFound());
        await app.StartAsync(cancellationToken);
        return new PersonBackend(app, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
