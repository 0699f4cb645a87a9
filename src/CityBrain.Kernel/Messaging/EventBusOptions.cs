using System.ComponentModel.DataAnnotations;

namespace CityBrain.Kernel.Messaging;

/// <summary>Delivery settings of the in-process bus, bound from the <c>Kernel:Events</c> configuration section.</summary>
internal sealed class EventBusOptions
{
    public const string Section = "Kernel:Events";

    /// <summary>How often the outbox is looked at when nothing signalled a new event (events published on another node, retries). Default 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait before the first retry of a failed delivery; it doubles with each further failure. Default 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between retries. Default 5 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a node holds a delivery it is working on before another node may take it over. Default 1 minute.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(1);
}
