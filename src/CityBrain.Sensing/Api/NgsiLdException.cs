namespace CityBrain.Sensing.Api;

/// <summary>The error types of NGSI-LD (GS CIM 009, clause 5.5.2), each with the HTTP status the API binding gives it.</summary>
internal enum NgsiLdError
{
    InvalidRequest,
    BadRequestData,
    AlreadyExists,
    OperationNotSupported,
    ResourceNotFound,
    InternalError,
    TooComplexQuery,
    TooManyResults,
    LdContextNotAvailable,
    NonexistentTenant,
    NotAcceptable,
    UnsupportedMediaType,

    /// <summary>The caller may not change the entity (another system owns it). Not one of clause 5.5.2's types.</summary>
    AccessDenied,
}

/// <summary>
/// A failure of an NGSI-LD operation: leaves the API as a ProblemDetails whose <c>type</c> is the spec's error URI.
/// Thrown only from the request path, before anything is written, so nothing is half-applied.
/// </summary>
internal sealed class NgsiLdException(NgsiLdError error, string detail) : Exception(detail)
{
    public const string ErrorTypeBase = "https://uri.etsi.org/ngsi-ld/errors/";

    public NgsiLdError Error { get; } = error;

    public int Status => StatusOf(Error);

    public string Type => ErrorTypeBase + Error;

    public string Title => Error switch
    {
        NgsiLdError.InvalidRequest => "The request is not well formed",
        NgsiLdError.BadRequestData => "The request contains input data that does not meet the requirements of the operation",
        NgsiLdError.AlreadyExists => "The referred element already exists",
        NgsiLdError.OperationNotSupported => "The operation is not supported",
        NgsiLdError.ResourceNotFound => "The referred resource has not been found",
        NgsiLdError.TooComplexQuery => "The query is too complex",
        NgsiLdError.TooManyResults => "The query produces too many results",
        NgsiLdError.LdContextNotAvailable => "A remote JSON-LD @context could not be retrieved",
        NgsiLdError.NonexistentTenant => "The addressed tenant does not exist",
        NgsiLdError.NotAcceptable => "None of the accepted media types can be produced",
        NgsiLdError.UnsupportedMediaType => "The request's media type is not supported",
        NgsiLdError.AccessDenied => "The caller may not change this entity",
        _ => "Internal error",
    };

    public static int StatusOf(NgsiLdError error) => error switch
    {
        NgsiLdError.InvalidRequest or NgsiLdError.BadRequestData => 400,
        NgsiLdError.AlreadyExists => 409,
        NgsiLdError.OperationNotSupported => 422,
        NgsiLdError.ResourceNotFound or NgsiLdError.NonexistentTenant => 404,
        NgsiLdError.TooComplexQuery or NgsiLdError.TooManyResults => 403,
        NgsiLdError.LdContextNotAvailable => 503,
        NgsiLdError.NotAcceptable => 406,
        NgsiLdError.UnsupportedMediaType => 415,
        NgsiLdError.AccessDenied => 403,
        _ => 500,
    };

    public static NgsiLdException BadData(string detail) => new(NgsiLdError.BadRequestData, detail);

    public static NgsiLdException Invalid(string detail) => new(NgsiLdError.InvalidRequest, detail);

    public static NgsiLdException NotFound(string detail) => new(NgsiLdError.ResourceNotFound, detail);
}
