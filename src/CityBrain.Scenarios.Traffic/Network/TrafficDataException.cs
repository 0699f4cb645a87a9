namespace CityBrain.Scenarios.Traffic.Network;

/// <summary>A roadnet or flow file that cannot be simulated; the message names the file's item that is wrong.</summary>
public sealed class TrafficDataException(string message) : Exception(message);
