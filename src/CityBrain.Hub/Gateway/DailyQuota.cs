using System.Collections.Concurrent;
using CityBrain.Hub.Sharing;
using Microsoft.Extensions.Options;

namespace CityBrain.Hub.Gateway;

/// <summary>
/// Calls a day per grant, counted per node and reset at local midnight. With several nodes each enforces the
/// quota on its own share of the traffic (documented in docs/adr/0002-gateway-on-yarp.md).
/// </summary>
internal sealed class DailyQuota(IOptions<SharingOptions> options)
{
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);
    private readonly ConcurrentDictionary<string, Usage> _usage = new(StringComparer.Ordinal);

    public bool TryConsume(Grant grant, DateTimeOffset now)
    {
        if (grant.DailyQuota is not { } limit)
        {
            return true;
        }
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, _zone).DateTime);
        var usage = _usage.GetOrAdd(grant.Id, _ => new Usage());
        lock (usage)
        {
            if (usage.Day != day)
            {
                usage.Day = day;
                usage.Count = 0;
            }
            if (usage.Count >= limit)
            {
                return false;
            }
            usage.Count++;
            return true;
        }
    }

    public int SecondsUntilReset(DateTimeOffset now)
    {
        var local = TimeZoneInfo.ConvertTime(now, _zone);
        return (int)Math.Ceiling((local.Date.AddDays(1) - local.DateTime).TotalSeconds);
    }

    private sealed class Usage
    {
        public DateOnly Day { get; set; }
        public long Count { get; set; }
    }
}
