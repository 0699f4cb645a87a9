using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Protocol;

namespace CityBrain.Sensing.Subscriptions;

/// <summary>
/// MQTT endpoints (mqtt://host:port/topic, clause 7.4.2 MQTT binding): the notification published on the topic, at the
/// QoS of the endpoint's notifierInfo MQTT-QoS (0 by default). One connection per broker, reconnected when lost.
/// </summary>
internal sealed class MqttNotificationChannel : INotificationChannel, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, IMqttClient> _clients = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _connectLock = new(1, 1);

    public bool Handles(Uri endpoint) => endpoint.Scheme is "mqtt" or "mqtts";

    public async Task SendAsync(Subscription subscription, string body, CancellationToken cancellationToken)
    {
        var endpoint = subscription.Endpoint;
        var client = await ClientAsync(endpoint, cancellationToken);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(Uri.UnescapeDataString(endpoint.AbsolutePath.TrimStart('/')))
            .WithPayload(body)
            .WithContentType(subscription.EndpointAccept)
            .WithQualityOfServiceLevel((MqttQualityOfServiceLevel)subscription.MqttQos)
            .Build();
        var result = await client.PublishAsync(message, cancellationToken);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"The MQTT broker refused the notification: {result.ReasonCode}");
        }
    }

    private async Task<IMqttClient> ClientAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        var key = $"{endpoint.Scheme}://{endpoint.Host}:{endpoint.Port}";
        if (_clients.TryGetValue(key, out var existing) && existing.IsConnected)
        {
            return existing;
        }
        await _connectLock.WaitAsync(cancellationToken);
        try
        {
            if (_clients.TryGetValue(key, out existing) && existing.IsConnected)
            {
                return existing;
            }
            existing?.Dispose();
            var client = new MqttClientFactory().CreateMqttClient();
            var builder = new MqttClientOptionsBuilder().WithTcpServer(endpoint.Host, endpoint.Port > 0 ? endpoint.Port : 1883).WithClientId($"citybrain-notifier-{Guid.NewGuid():N}");
            if (endpoint.Scheme == "mqtts")
            {
                builder = builder.WithTlsOptions(o => o.UseTls());
            }
            if (endpoint.UserInfo.Length > 0)
            {
                var parts = endpoint.UserInfo.Split(':', 2);
                builder = builder.WithCredentials(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : null);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            await client.ConnectAsync(builder.Build(), timeout.Token);
            _clients[key] = client;
            return client;
        }
        finally
        {
            _connectLock.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}
