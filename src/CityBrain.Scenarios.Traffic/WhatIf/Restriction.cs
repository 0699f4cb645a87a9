namespace CityBrain.Scenarios.Traffic.WhatIf;

/// <summary>
/// A restriction on the demand (错峰限行), applied to an hour of traffic that starts at <see cref="ClockStart"/> on
/// <see cref="Day"/>:
/// <list type="bullet">
/// <item>a tail-number rule: vehicles whose plate ends in a digit banned that weekday do not drive within the banned
/// windows (a <see cref="Compliance"/> share of them obey);</item>
/// <item>a share of the trips of the hour moved out of the peak (<see cref="PeakShiftShare"/>);</item>
/// <item>closed roads: trips through them take the shortest open way; trips that start or end on one are cancelled.</item>
/// </list>
/// The flow files carry no plates: each flow gets a tail digit drawn from the seed, uniformly, as plates end.
/// </summary>
public sealed record Restriction
{
    public DayOfWeek Day { get; init; } = DayOfWeek.Monday;
    public TimeOnly ClockStart { get; init; } = new(8, 0);
    /// <summary>Banned tail digits per weekday; empty: no tail-number rule.</summary>
    public IReadOnlyDictionary<DayOfWeek, int[]> BannedTails { get; init; } = new Dictionary<DayOfWeek, int[]>();
    /// <summary>The windows of the day in which the tail-number rule applies.</summary>
    public IReadOnlyList<(TimeOnly From, TimeOnly To)> Windows { get; init; } = [];
    public double Compliance { get; init; } = 1.0;
    public double PeakShiftShare { get; init; }
    public IReadOnlyList<string> ClosedRoads { get; init; } = [];

    /// <summary>Hangzhou's peak-hour rule before February 2021: weekdays 7:00-9:00 and 16:30-18:30, two tail digits a day.</summary>
    public static Restriction HangzhouTailNumbers(DayOfWeek day, TimeOnly clockStart) => new()
    {
        Day = day,
        ClockStart = clockStart,
        BannedTails = new Dictionary<DayOfWeek, int[]>
        {
            [DayOfWeek.Monday] = [1, 9],
            [DayOfWeek.Tuesday] = [2, 8],
            [DayOfWeek.Wednesday] = [3, 7],
            [DayOfWeek.Thursday] = [4, 6],
            [DayOfWeek.Friday] = [5, 0],
        },
        Windows = [(new TimeOnly(7, 0), new TimeOnly(9, 0)), (new TimeOnly(16, 30), new TimeOnly(18, 30))],
    };
}
