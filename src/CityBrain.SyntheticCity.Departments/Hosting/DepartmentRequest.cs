using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Hosting;

/// <summary>One request to a department operation: its route values and query parameters, read strictly, and the department's database.</summary>
internal sealed class DepartmentRequest(HttpContext context, DepartmentDatabase database)
{
    public DepartmentDatabase Database { get; } = database;

    public CancellationToken Aborted => context.RequestAborted;

    public string Route(string name) => context.Request.RouteValues[name] as string ?? "";

    /// <summary>A query parameter's value, or null when absent or empty; given twice is an error.</summary>
    public string? Text(string name)
    {
        var values = context.Request.Query[name];
        if (values.Count > 1)
        {
            throw Invalid(name, "give the parameter once");
        }
        var value = values.Count == 1 ? values[0] : null;
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public int Int(string name, int fallback, int min, int max)
    {
        var text = Text(name);
        if (text is null)
        {
            return fallback;
        }
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw Invalid(name, $"must be a whole number from {min} to {max}, not '{text}'");
        }
        return value;
    }

    public long? Long(string name)
    {
        var text = Text(name);
        if (text is null)
        {
            return null;
        }
        return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Invalid(name, $"must be a whole number, not '{text}'");
    }

    /// <summary>A date or time in exactly the department's format, returned as given (stored values use the same format, so text order is time order).</summary>
    public string? Date(string name, string format)
    {
        var text = Text(name);
        if (text is null)
        {
            return null;
        }
        return DateTime.TryParseExact(text, format, CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            ? text
            : throw Invalid(name, $"must be a date in the format {format}, not '{text}'");
    }

    /// <summary>A route value that must match the department's key format.</summary>
    public string Key(string name, Func<string, bool> valid, string expected)
    {
        var value = Route(name);
        return valid(value) ? value : throw Invalid(name, $"must be {expected}");
    }

    public static DepartmentException Invalid(string name, string message) => new(Refusal.InvalidParameter, $"{name}: {message}");

    public static DepartmentException NotFound(string message) => new(Refusal.NotFound, message);
}
