using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.EndToEnd.Tests;

/// <summary>
/// A department system as cities have them: the public security bureau's population service, its own HTTP
/// service on loopback with its own records, pinyin-initial field names, and an API key the hub must present.
/// </summary>
public sealed class PopulationSystem : IAsyncDisposable
{
    public const string ApiKey = "gaj-secret-key";

    /// <summary>Valid resident IDs (GB 11643 check characters) of the system's residents.</summary>
    public static readonly IReadOnlyDictionary<string, Person> People = new Dictionary<string, Person>(StringComparer.Ordinal)
    {
        ["33010619900101123X"] = new("张三", "33010619900101123X", "1", "19900101", "浙江省杭州市西湖区文新街道文一西路100号3幢2单元501室", "13812345678"),
        ["33010619851212002X"] = new("欧阳娜娜", "33010619851212002X", "2", "19851212", "浙江省杭州市西湖区北山街道曙光路8号", "13998765432"),
    };

    // The department's own style: upper-case pinyin initials, as its database has them.
    private static readonly System.Text.Json.JsonSerializerOptions PinyinStyle = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly WebApplication _app;

    private PopulationSystem(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    /// <summary>Requests the hub made, as the department sees them (path and whether the key was right).</summary>
    public List<(string Path, bool KeyValid, bool HadConsumerAuthorization)> Seen { get; } = [];

    public sealed record Person(string XM, string SFZH, string XB, string CSRQ, string DZ, string SJHM);

    public static async Task<PopulationSystem> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        PopulationSystem? self = null;
        app.Use(async (context, next) =>
        {
            var keyValid = context.Request.Headers["X-Api-Key"] == ApiKey;
            lock (self!.Seen)
            {
                self.Seen.Add((context.Request.Path + context.Request.QueryString, keyValid, context.Request.Headers.Authorization.Count > 0));
            }
            if (!keyValid)
            {
                context.Response.StatusCode = (int)HttpStatusCode.Unauthorized;
                return;
            }
            await next(context);
        });
        app.MapGet("/persons/{sfzh}", (string sfzh) =>
            People.TryGetValue(sfzh, out var person)
                ? Results.Json(new { person.XM, person.SFZH, person.XB, person.CSRQ, person.DZ, person.SJHM, HJZT = "正常" }, PinyinStyle)
                : Results.NotFound(new { code = "404", message = "查无此人" }));
        await app.StartAsync();
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new PopulationSystem(app, url);
        return self;
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
