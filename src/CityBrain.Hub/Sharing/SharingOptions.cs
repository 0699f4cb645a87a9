using System.ComponentModel.DataAnnotations;

namespace CityBrain.Hub.Sharing;

/// <summary>Rules of the sharing workflow, bound from the configuration section <c>Hub:Sharing</c>.</summary>
public sealed class SharingOptions
{
    public const string Section = "Hub:Sharing";

    /// <summary>Working days the owning unit has to answer a request before it is escalated to the data bureau. Default 3.</summary>
    [Range(1, 60)]
    public int DecisionDeadlineWorkingDays { get; set; } = 3;

    /// <summary>The time zone in which working days are counted. Default Asia/Shanghai.</summary>
    [Required]
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>Public holidays that are not working days (yyyy-MM-dd), besides Saturdays and Sundays.</summary>
    public List<DateOnly> Holidays { get; set; } = [];

    /// <summary>Longest grant a request may ask for, in days. Default 3650.</summary>
    [Range(1, 36500)]
    public int MaxDays { get; set; } = 3650;

    /// <summary>How often lapsed requests are looked for. Default one minute.</summary>
    public TimeSpan EscalationInterval { get; set; } = TimeSpan.FromMinutes(1);
}
