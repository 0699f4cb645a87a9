using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Yarp.ReverseProxy.Forwarder;

namespace CityBrain.Benchmarks.Load;

/// <summary>
/// YARP and nothing else: every request forwarded as it came to one destination, through the same IHttpForwarder and
/// the same kind of pooled SocketsHttpHandler the hub's gateway uses. The baseline the hub path is compared with.
/// </summary>
internal sealed class PlainProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpMessageInvoker _invoker;

    private PlainProxy(WebApplication app, HttpMessageInvoker invoker, string baseUrl)
    {
        _app = app;
        _invoker = invoker;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<PlainProxy> StartAsync(string destination, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        });
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        app.Map("/{**rest}", async (HttpContext context) => await forwarder.SendAsync(context, destination, invoker, ForwarderRequestConfig.Empty, HttpTransformer.Default));
        await app.StartAsync(cancellationToken);
        return new PlainProxy(app, invoker, app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _invoker.Dispose();
    }
}
