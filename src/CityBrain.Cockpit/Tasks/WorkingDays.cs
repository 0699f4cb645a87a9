namespace CityBrain.Cockpit.Tasks;

/// <summary>Deadlines and overdue spans in working days: Saturdays, Sundays and configured holidays do not count.</summary>
internal static class WorkingDays
{
    /// <summary>The end (local midnight) of the <paramref name="days"/>-th working day after the day of <paramref name="from"/>.</summary>
    public static DateTimeOffset Deadline(DateTimeOffset from, int days, TimeZoneInfo zone, IReadOnlyCollection<DateOnly> holidays)
    {
        var date = LocalDate(from, zone);
        var counted = 0;
        while (counted < days)
        {
            date = date.AddDays(1);
            if (IsWorkingDay(date, holidays))
            {
                counted++;
            }
        }
        var endOfDay = date.AddDays(1).ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(endOfDay, zone.GetUtcOffset(endOfDay));
    }

    /// <summary>Working days that began after <paramref name="from"/> and ended by <paramref name="to"/>.</summary>
    public static int Between(DateTimeOffset from, DateTimeOffset to, TimeZoneInfo zone, IReadOnlyCollection<DateOnly> holidays)
    {
        var date = LocalDate(from, zone);
        var last = LocalDate(to, zone);
        var count = 0;
        while (date < last)
        {
            if (IsWorkingDay(date, holidays))
            {
                count++;
            }
            date = date.AddDays(1);
        }
        return count;
    }

    private static DateOnly LocalDate(DateTimeOffset at, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, zone).DateTime);

    private static bool IsWorkingDay(DateOnly date, IReadOnlyCollection<DateOnly> holidays) =>
        date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !holidays.Contains(date);
}
