using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet.Server;

namespace CityBrain.Sensing.Ingest;

/// <summary>
/// A plain MQTT broker inside the node (MQTTnet), started only when <see cref="SensingOptions.EmbeddedMqttPort"/> is set,
/// so that <c>serve</c> runs the demo city's sensors without a Mosquitto. It only routes: ingest is a client like any other.
/// </summary>
internal sealed partial class EmbeddedMqttBroker(IOptions<SensingOptions> options, ILogger<EmbeddedMqttBroker> logger) : IHostedService, IDisposable
{
    private MqttServer? _server;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.EmbeddedMqttPort is not { } port)
        {
            return;
        }
        var serverOptions = new MqttServerOptionsBuilder()
            .WithDefaultEndpoint()
            .WithDefaultEndpointBoundIPAddress(options.Value.EmbeddedMqttLoopbackOnly ? IPAddress.Loopback : IPAddress.Any)
            .WithDefaultEndpointPort(port)
            // MQTTnet drops a subscriber's oldest pending messages past 250 by default: ingest must get every reading.
            .WithMaxPendingMessagesPerClient(1_000_000)
            .Build();
        _server = new MqttServerFactory().CreateMqttServer(serverOptions);
        try
        {
            await _server.StartAsync();
            LogStarted(logger, port);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            // The node still serves everything else; ingest keeps trying the port, so a broker already there is used.
            LogPortTaken(logger, port, e.Message);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            await _server.StopAsync();
        }
    }

    public void Dispose() => _server?.Dispose();

    [LoggerMessage(EventId = 811, Level = LogLevel.Information, Message = "Embedded MQTT broker listening on port {Port}")]
    private static partial void LogStarted(ILogger logger, int port);

    [LoggerMessage(EventId = 815, Level = LogLevel.Error, Message = "Embedded MQTT broker cannot listen on port {Port} ({Reason}): set Sensing__MqttBroker to the broker there, or another Sensing__EmbeddedMqttPort")]
    private static partial void LogPortTaken(ILogger logger, int port, string reason);
}
