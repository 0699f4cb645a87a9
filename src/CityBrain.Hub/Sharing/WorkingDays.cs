namespace CityBrain.Hub.Sharing;

/// <summary>Deadlines counted in working days: Saturdays, Sundays and configured holidays do not count.</summary>
internal static class WorkingDays
{
    /// <summary>The end (local midnight) of the <paramref name="days"/>-th working day after the day of <paramref name="from"/>.</summary>
    public static DateTimeOffset Deadline(DateTimeOffset from, int days, TimeZoneInfo zone, IReadOnlyCollection<DateOnly> holidays)
    {
        var local = TimeZoneInfo.ConvertTime(from, zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        var counted = 0;
        while (counted < days)
        {
            date = date.AddDays(1);
            if (date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !holidays.Contains(date))
            {
                counted++;
            }
        }
        var endOfDay = date.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(endOfDay, zone.GetUtcOffset(endOfDay));
    }
}
