using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Ingest;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Sensing.Api;

/// <summary>The device registry and its dead letters (not NGSI-LD: the platform's own API, like FIWARE's IoT agent provisioning).</summary>
internal static class DevicesApi
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPut("/devices/{deviceId}", Register);
        group.MapGet("/devices/{deviceId}", Get);
        group.MapGet("/dead-letters", DeadLetters);
    }

    private static async Task<IResult> Register(string deviceId, HttpContext http, DeviceRegistry registry, CancellationToken cancellationToken)
    {
        var tenant = NgsiLdHttp.Tenant(http.Request);
        JsonElement body;
        try
        {
            body = (await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: cancellationToken)).RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw NgsiLdException.Invalid($"The body is not valid JSON: {e.Message}");
        }
        var writer = Entities.EntityWriter.Of(http);
        await registry.EnsureLoadedAsync(cancellationToken);
        if (registry.Find(deviceId) is { Owner: { } owner } && owner != writer.Owner && !writer.MayWriteAny)
        {
            throw new NgsiLdException(NgsiLdError.AccessDenied, $"Device '{deviceId}' was registered by another system; only it may change the device.");
        }
        var device = DeviceMapping.Parse(tenant, deviceId, body) with { Owner = writer.Owner };
        await registry.SaveAsync(device, cancellationToken);
        return Results.Text(device.ToJson().ToJsonString(), "application/json");
    }

    private static async Task<IResult> Get(string deviceId, DeviceRegistry registry, CancellationToken cancellationToken)
    {
        await registry.EnsureLoadedAsync(cancellationToken);
        return registry.Find(deviceId) is { } device
            ? Results.Text(device.ToJson().ToJsonString(), "application/json")
            : throw NgsiLdException.NotFound($"Device '{deviceId}' is not registered.");
    }

    private static async Task<IResult> DeadLetters(HttpContext http, DeviceRegistry registry, CancellationToken cancellationToken)
    {
        var deviceId = http.Request.Query["deviceId"].ToString() is { Length: > 0 } d ? d : null;
        var limit = int.TryParse(http.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 1000) : 100;
        var letters = await registry.DeadLettersAsync(deviceId, limit, cancellationToken);
        var payload = new JsonArray([.. letters.Select(x => (JsonNode)new JsonObject
        {
            ["id"] = x.Id,
            ["deviceId"] = x.DeviceId,
            ["topic"] = x.Topic,
            ["receivedAt"] = Entities.Timestamps.Format(DateTimeOffset.FromUnixTimeMilliseconds(x.ReceivedAt)),
            ["payload"] = x.Payload,
            ["reason"] = x.Reason,
        })]);
        return Results.Text(payload.ToJsonString(), "application/json");
    }
}
