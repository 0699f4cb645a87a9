namespace CityBrain.Kernel.Errors;

/// <summary>
/// A failure a caller can act on. Leaves the API as a ProblemDetails with this status, through
/// <see cref="ProblemExceptionHandler"/>; nothing else turns exceptions into responses.
/// </summary>
public class ProblemException(int status, string title, string detail, IDictionary<string, string[]>? errors = null)
    : Exception(detail)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public IDictionary<string, string[]>? Errors { get; } = errors;

    /// <summary>Response headers the answer needs (Retry-After on 429, say).</summary>
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Bad input: 400 with the offending fields named.</summary>
public sealed class ValidationFailedException(IDictionary<string, string[]> errors)
    : ProblemException(400, "The request is invalid", string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")), errors)
{
    public ValidationFailedException(string field, string message) : this(new Dictionary<string, string[]> { [field] = [message] })
    {
    }
}

/// <summary>The thing named does not exist (or the caller may not know it exists).</summary>
public sealed class NotFoundException(string detail) : ProblemException(404, "Not found", detail);

/// <summary>The caller is known but may not do this.</summary>
public sealed class ForbiddenException(string detail) : ProblemException(403, "Forbidden", detail);

/// <summary>A business rule was broken; the request was well formed but conflicts with the state.</summary>
public sealed class BusinessRuleViolationException(string rule, string detail) : ProblemException(409, "A business rule was broken", detail)
{
    public string Rule { get; } = rule;
}
