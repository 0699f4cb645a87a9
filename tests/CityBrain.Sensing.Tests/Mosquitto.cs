using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MQTTnet;

namespace CityBrain.Sensing.Tests;

/// <summary>
/// A real Mosquitto (Debian's, installed by ./test.sh) on a free loopback port, once per test process, stopped when the
/// process exits. Devices and receivers in the tests are MQTTnet clients of it, as the platform's ingest is.
/// </summary>
public sealed class Mosquitto
{
    private static readonly Lazy<Mosquitto> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private Mosquitto(int port) => Port = port;

    public int Port { get; }

    public Uri Uri => new($"mqtt://127.0.0.1:{Port}");

    public static Mosquitto Instance => Shared.Value;

    /// <summary>A connected client with a fresh id.</summary>
    public async Task<IMqttClient> ConnectAsync(CancellationToken cancellationToken = default)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", Port).WithClientId("test-" + Guid.NewGuid().ToString("N")).Build(), cancellationToken);
        return client;
    }

    private static Mosquitto Start()
    {
        const string binary = "/usr/sbin/mosquitto";
        if (!File.Exists(binary))
        {
            throw new InvalidOperationException("Mosquitto was not found at /usr/sbin/mosquitto; ./test.sh installs it (apt-get install -y mosquitto).");
        }
        var port = FreePort();
        var config = Path.Combine(Path.GetTempPath(), $"citybrain-mosquitto-{port}.conf");
        File.WriteAllText(config, $"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n");
        var process = Process.Start(new ProcessStartInfo(binary, $"-c {config}") { RedirectStandardError = true, RedirectStandardOutput = true })!;
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            File.Delete(config);
        };
        // Ready when it accepts a connection; generous, CI machines are slow.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                probe.Connect(IPAddress.Loopback, port);
                return new Mosquitto(port);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
