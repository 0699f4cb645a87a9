using System.Globalization;
using System.Text.Json;
using CityBrain.Sensing;
using CityBrain.Sensing.Ingest;
using Microsoft.Extensions.Options;
using MQTTnet;

namespace CityBrain.Host.Demo;

/// <summary>
/// The demo city's sensors, as devices would be: registered once, then publishing readings over MQTT to the ingest broker
/// as the city clock runs (one round every <see cref="Round"/>), shaped by the FIWARE Smart Data Models: car parks
/// (OffStreetParking), air quality stations (AirQualityObserved), traffic detectors (TrafficFlowObserved), elevators and
/// buses. Readings follow the hour of the city's day (rush hours, busy car parks at midday) with seeded noise.
/// </summary>
internal sealed partial class DemoSensors(
    CityClock clock,
    DemoCitySettings settings,
    IDeviceRegistry registry,
    IOptions<SensingOptions> options,
    ILogger<DemoSensors> logger) : BackgroundService
{
    private static readonly TimeSpan Round = TimeSpan.FromSeconds(5);

    /// <summary>Hangzhou's districts before the 2021 re-division (code, name, centre), as the cockpit's map draws them.</summary>
    private static readonly (string Code, string Name, double Lon, double Lat)[] Districts =
    [
        ("330102", "上城区", 120.169, 30.242), ("330103", "下城区", 120.181, 30.281), ("330104", "江干区", 120.205, 30.257),
        ("330105", "拱墅区", 120.150, 30.314), ("330106", "西湖区", 120.130, 30.259), ("330108", "滨江区", 120.211, 30.208),
        ("330109", "萧山区", 120.264, 30.184), ("330110", "余杭区", 120.300, 30.419), ("330111", "富阳区", 119.960, 30.049),
        ("330112", "临安区", 119.715, 30.231), ("330122", "桐庐县", 119.685, 29.797), ("330127", "淳安县", 119.044, 29.604),
        ("330182", "建德市", 119.279, 29.472),
    ];

    private sealed record Sensor(string DeviceId, string Kind, string District, double Lon, double Lat, int Capacity);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.IngestBroker is not { } broker)
        {
            return;
        }
        var random = new Random(unchecked((int)settings.Seed));
        var sensors = Plan(random);
        try
        {
            foreach (var sensor in sensors)
            {
                await registry.RegisterAsync(sensor.DeviceId, Mapping(sensor), stoppingToken);
            }
            using var client = new MqttClientFactory().CreateMqttClient();
            var clientOptions = new MqttClientOptionsBuilder().WithTcpServer(broker.Host, broker.Port).WithClientId("citybrain-demo-sensors").Build();
            using var timer = new PeriodicTimer(Round);
            do
            {
                if (!client.IsConnected)
                {
                    await client.ConnectAsync(clientOptions, stoppingToken);
                    LogPublishing(logger, sensors.Count, broker.Authority);
                }
                var now = clock.Read().CityTime;
                foreach (var sensor in sensors)
                {
                    await client.PublishAsync(new MqttApplicationMessageBuilder()
                        .WithTopic(IDeviceRegistry.TopicOf(sensor.DeviceId))
                        .WithPayload(Reading(sensor, now, random))
                        .Build(), stoppingToken);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            LogStopped(logger, e);
        }
    }

    private static List<Sensor> Plan(Random random)
    {
        var sensors = new List<Sensor>();
        foreach (var (code, _, lon, lat) in Districts)
        {
            double Near() => (random.NextDouble() - 0.5) * 0.04;
            for (var i = 1; i <= 4; i++)
            {
                sensors.Add(new Sensor($"carpark-{code}-{i}", "OffStreetParking", code, lon + Near(), lat + Near(), 100 + random.Next(400)));
            }
            sensors.Add(new Sensor($"air-{code}", "AirQualityObserved", code, lon + Near(), lat + Near(), 0));
            for (var i = 1; i <= 3; i++)
            {
                sensors.Add(new Sensor($"detector-{code}-{i}", "TrafficFlowObserved", code, lon + Near(), lat + Near(), 1200 + random.Next(1200)));
            }
            sensors.Add(new Sensor($"elevator-{code}", "Elevator", code, lon + Near(), lat + Near(), 30));
            sensors.Add(new Sensor($"bus-{code}", "Bus", code, lon, lat, 0));
        }
        return sensors;
    }

    /// <summary>The device's mapping: payload fields to the Smart Data Model's attribute names.</summary>
    private static JsonElement Mapping(Sensor sensor)
    {
        Dictionary<string, object> fields = sensor.Kind switch
        {
            "OffStreetParking" => new() { ["occupied"] = Field("occupiedSpotNumber"), ["free"] = Field("availableSpotNumber"), ["total"] = Field("totalSpotNumber") },
            "AirQualityObserved" => new() { ["aqi"] = Field("airQualityIndex"), ["pm25"] = Field("pm25", "GQ"), ["no2"] = Field("no2", "GQ") },
            "TrafficFlowObserved" => new() { ["flow"] = Field("intensity"), ["speed"] = Field("averageVehicleSpeed", "KMH"), ["occupancy"] = Field("occupancy") },
            "Elevator" => new() { ["floor"] = Field("currentFloor"), ["fault"] = Field("fault") },
            _ => new() { ["speed"] = Field("speed", "KMH") },
        };
        fields["district"] = new { attribute = "district", kind = "string" };
        fields["pos"] = new { attribute = "location", kind = "point" };
        return JsonSerializer.SerializeToElement(new
        {
            entityId = $"urn:ngsi-ld:{sensor.Kind}:{sensor.DeviceId}",
            entityType = sensor.Kind,
            observedAtField = "at",
            fields,
        });
    }

    private static object Field(string attribute, string? unitCode = null) => new { attribute, kind = "number", unitCode };

    /// <summary>One reading at city time <paramref name="now"/>: the hour's level with a little noise.</summary>
    private static string Reading(Sensor sensor, DateTimeOffset now, Random random)
    {
        var hour = now.Hour + now.Minute / 60.0;
        // Two rush hours (08:00, 18:00) and a quiet night, between 0 and 1.
        var rush = Math.Max(Bump(hour, 8, 1.5), Bump(hour, 18, 1.5));
        var daytime = Bump(hour, 13, 5);
        double Noise(double spread) => (random.NextDouble() - 0.5) * spread;
        var pos = sensor.Kind == "Bus"
            ? new[] { sensor.Lon + 0.02 * Math.Cos(hour), sensor.Lat + 0.02 * Math.Sin(hour) }
            : [sensor.Lon, sensor.Lat];
        Dictionary<string, object> payload = sensor.Kind switch
        {
            "OffStreetParking" => Parking(sensor.Capacity, Math.Clamp(0.15 + 0.8 * daytime + Noise(0.1), 0, 1)),
            "AirQualityObserved" => new() { ["aqi"] = Math.Round(45 + 60 * rush + Noise(10)), ["pm25"] = Math.Round(20 + 40 * rush + Noise(6), 1), ["no2"] = Math.Round(15 + 35 * rush + Noise(5), 1) },
            "TrafficFlowObserved" => new() { ["flow"] = Math.Round(sensor.Capacity * (0.1 + 0.8 * rush) + Noise(50)), ["speed"] = Math.Round(Math.Max(8, 55 - 35 * rush + Noise(6)), 1), ["occupancy"] = Math.Round(Math.Clamp(0.05 + 0.6 * rush + Noise(0.05), 0, 1), 2) },
            "Elevator" => new() { ["floor"] = random.Next(1, sensor.Capacity + 1), ["fault"] = random.NextDouble() < 0.02 ? 1 : 0 },
            _ => new() { ["speed"] = Math.Round(Math.Max(0, 30 - 15 * rush + Noise(8)), 1) },
        };
        payload["district"] = sensor.District;
        payload["pos"] = pos;
        payload["at"] = now.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return JsonSerializer.Serialize(payload);
    }

    private static Dictionary<string, object> Parking(int total, double share)
    {
        var occupied = (int)Math.Round(total * share);
        return new() { ["occupied"] = occupied, ["free"] = total - occupied, ["total"] = total };
    }

    private static double Bump(double hour, double centre, double width) => Math.Exp(-Math.Pow((hour - centre) / width, 2));

    [LoggerMessage(EventId = 9011, Level = LogLevel.Information, Message = "Demo sensors: {Count} devices publishing to {Broker}")]
    private static partial void LogPublishing(ILogger logger, int count, string broker);

    [LoggerMessage(EventId = 9012, Level = LogLevel.Error, Message = "The demo sensors stopped")]
    private static partial void LogStopped(ILogger logger, Exception exception);
}
