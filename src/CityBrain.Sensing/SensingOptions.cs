namespace CityBrain.Sensing;

/// <summary>The sensing module's settings (section "Sensing").</summary>
public sealed class SensingOptions
{
    public const string Section = "Sensing";

    /// <summary>
    /// Leaves the NGSI-LD API open without a bearer token, as conformance suites and local device tests expect
    /// (<c>serve --ngsi-open</c>, loopback only). Default false: the platform's bearer tokens are required.
    /// </summary>
    public bool Open { get; set; }

    /// <summary>
    /// The MQTT broker that devices publish to (mqtt://host:port, e.g. a Debian Mosquitto); ingest subscribes there to
    /// citybrain/devices/+/attrs. Default none: no ingest, unless <see cref="EmbeddedMqttPort"/> starts a broker in the node.
    /// </summary>
    public Uri? MqttBroker { get; set; }

    /// <summary>
    /// Port of a broker embedded in this node (MQTTnet), for a one-command demo without Mosquitto; ingest then uses it when
    /// <see cref="MqttBroker"/> is not set. Default none, so that several nodes or test hosts on one machine do not compete for 1883.
    /// </summary>
    public int? EmbeddedMqttPort { get; set; }

    /// <summary>The embedded broker listens on loopback only (default true); false listens on every interface.</summary>
    public bool EmbeddedMqttLoopbackOnly { get; set; } = true;

    /// <summary>Client id of ingest at the broker; its persistent session keeps what devices publish while the node is down.</summary>
    public string MqttClientId { get; set; } = "citybrain-ingest";

    /// <summary>The broker ingest uses: <see cref="MqttBroker"/>, else the embedded one, else none.</summary>
    public Uri? IngestBroker => MqttBroker ?? (EmbeddedMqttPort is { } port ? new Uri($"mqtt://127.0.0.1:{port}") : null);
}
