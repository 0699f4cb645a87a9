using System.ComponentModel.DataAnnotations;

namespace CityBrain.Cockpit.Tasks;

/// <summary>Rules of dispatch and its attachments, bound from the configuration section <c>Cockpit:Tasks</c>.</summary>
public sealed class TaskOptions
{
    public const string Section = "Cockpit:Tasks";

    /// <summary>Where attachments are stored, content-addressed by SHA-256. The host sets DATA/attachments.</summary>
    [Required]
    public string AttachmentDirectory { get; set; } = "attachments";

    /// <summary>Largest attachment accepted, in bytes. Default 10 MiB.</summary>
    [Range(1, 64L * 1024 * 1024)]
    public long MaxAttachmentBytes { get; set; } = 10L * 1024 * 1024;

    /// <summary>Most files in one action (dispatch, progress report, completion). Default 5.</summary>
    [Range(1, 20)]
    public int MaxAttachmentsPerAction { get; set; } = 5;

    /// <summary>The unit an overdue task escalates to when its unit has no parent in the registry. Default dsj, the data bureau.</summary>
    [Required]
    public string DataBureauUnit { get; set; } = "dsj";

    /// <summary>The time zone in which working days are counted. Default Asia/Shanghai.</summary>
    [Required]
    public string TimeZone { get; set; } = "Asia/Shanghai";

    /// <summary>Public holidays that are not working days (yyyy-MM-dd), besides Saturdays and Sundays.</summary>
    public List<DateOnly> Holidays { get; set; } = [];

    /// <summary>How often overdue tasks are looked for. Default one minute.</summary>
    public TimeSpan EscalationInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A city's own published supervision rules (a YAML file with the fields of the embedded supervision-rules.yaml) instead
    /// of the defaults. Read and checked at start: a missing or wrong file stops the start, naming the file and the field.
    /// </summary>
    public string? SupervisionRulesFile { get; set; }

    /// <summary>A city's own scenario lifecycle rules (the fields of the embedded lifecycle-rules.yaml), checked at start likewise.</summary>
    public string? LifecycleRulesFile { get; set; }
}
