using System.Text.Json;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Tasks;

/// <summary>
/// Dispatch and its closed loop under /api/cockpit. Actions that carry evidence (dispatch, progress, complete) take JSON or
/// multipart/form-data: the JSON body in the form field <c>task</c> (dispatch) or the text in <c>note</c>, files in <c>files</c>.
/// </summary>
internal static class TasksApi
{
    public sealed record NoteBody(string? Note);

    public sealed record ReasonBody(string? Reason);

    public sealed record RedispatchBody(string? Unit, int? DeadlineWorkingDays, string? Note);

    public static RouteGroupBuilder MapTasksApi(this IEndpointRouteBuilder routes)
    {
        var cockpit = routes.MapGroup("/api/cockpit").WithTags("Cockpit tasks").RequireAuthorization();
        cockpit.MapPost("/tasks", Dispatch).WithSummary("A leader dispatches a task to a unit: instructions, deadline, attachments (JSON, or multipart with 'task' and 'files')")
            .Accepts<TaskDispatch>("application/json", "multipart/form-data");
        cockpit.MapGet("/tasks", List).WithSummary("Tasks the caller may see: all for leaders, the bureau and auditors; a unit's inbox (and tasks escalated to it) for its operators");
        cockpit.MapGet("/tasks/{id}", Get).WithSummary("One task with its timeline and attachments");
        cockpit.MapPost("/tasks/{id}/accept", Accept).WithSummary("The unit accepts the task");
        cockpit.MapPost("/tasks/{id}/send-back", SendBack).WithSummary("The unit sends the task back to the dispatcher with a reason");
        cockpit.MapPost("/tasks/{id}/progress", Progress).WithSummary("The unit reports progress with evidence (a note, photos, PDF files)")
            .Accepts<NoteBody>("application/json", "multipart/form-data");
        cockpit.MapPost("/tasks/{id}/complete", Complete).WithSummary("The unit completes the task, with evidence if it likes")
            .Accepts<NoteBody>("application/json", "multipart/form-data");
        cockpit.MapPost("/tasks/{id}/close", Close).WithSummary("The dispatcher verifies and closes the task (or withdraws one sent back)");
        cockpit.MapPost("/tasks/{id}/return", Return).WithSummary("The dispatcher returns completed work to the unit with a reason");
        cockpit.MapPost("/tasks/{id}/redispatch", Redispatch).WithSummary("The dispatcher gives a task that was sent back to a unit again");
        cockpit.MapGet("/attachments/{id}", Download).WithSummary("An attachment's content, for whoever may see its task");
        return cockpit;
    }

    private static async Task<Created<CockpitTask>> Dispatch(HttpContext context, TaskService tasks, CancellationToken cancellationToken)
    {
        var (dispatch, files) = await ReadAsync<TaskDispatch>(context, "task", cancellationToken);
        var task = await tasks.DispatchAsync(dispatch, Caller.From(context.User), files, cancellationToken);
        return TypedResults.Created($"/api/cockpit/tasks/{task.Id}", task);
    }

    private static async Task<Ok<IReadOnlyList<CockpitTask>>> List(string? status, HttpContext context, TaskService tasks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tasks.ListAsync(status, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<TaskDetail>> Get(string id, HttpContext context, TaskService tasks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tasks.GetAsync(id, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<CockpitTask>> Accept(string id, HttpContext context, TaskService tasks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tasks.AcceptAsync(id, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<CockpitTask>> SendBack(string id, ReasonBody body, HttpContext context, TaskService tasks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tasks.SendBackAsync(id, body.Reason, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<CockpitTask>> Progress(string id, HttpContext context, TaskService tasks, CancellationToken cancellationToken)
    {
        var (body, files) = await ReadAsync<NoteBody>(context, null, cancellationToken);
        return TypedResults.Ok(await tasks.ReportProgressAsync(id, body.Note, files, Caller.From(context.User), cancellationToken));
    }

    private static async Task<Ok<CockpitTask>> Complete(string id, HttpContext context, TaskService tasks, CancellationToken cancellationToken)
    {
        var (body, files) = await ReadAsync<NoteBody>(context, null, cancellationToken);
        return TypedResults.Ok(await tasks.CompleteAsync(id, body.Note, files, Caller.From(context.User), cancellationToken));
    }

    private static async Task<Ok<CockpitTask>> Close(string id, NoteBody? body, HttpContext context, TaskService tasks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tasks.CloseAsync(id, body?.Note, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<CockpitTask>> Return(string id, ReasonBody body, HttpContext context, TaskService tasks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tasks.ReturnAsync(id, body.Reason, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<CockpitTask>> Redispatch(string id, RedispatchBody body, HttpContext context, TaskService tasks, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tasks.RedispatchAsync(id, body.Unit, body.DeadlineWorkingDays, body.Note, Caller.From(context.User), cancellationToken));

    private static async Task<FileStreamHttpResult> Download(string id, HttpContext context, TaskService tasks, CancellationToken cancellationToken)
    {
        var (attachment, content) = await tasks.OpenAttachmentAsync(id, Caller.From(context.User), cancellationToken);
        context.Response.Headers["X-Content-Type-Options"] = "nosniff";
        return TypedResults.File(content, attachment.ContentType, attachment.FileName, entityTag: new Microsoft.Net.Http.Headers.EntityTagHeaderValue($"\"{attachment.Sha256}\""));
    }

    /// <summary>
    /// The body as JSON, or as a multipart form: with <paramref name="jsonField"/> the JSON is that form field, otherwise the
    /// form's text fields are the body's properties (<c>note</c>). Files come from the form's file parts.
    /// </summary>
    private static async Task<(T Body, IReadOnlyList<UploadedFile> Files)> ReadAsync<T>(HttpContext context, string? jsonField, CancellationToken cancellationToken)
        where T : class
    {
        var json = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var request = context.Request;
        if (request.HasJsonContentType())
        {
            var body = await request.ReadFromJsonAsync<T>(json, cancellationToken)
                ?? throw new ValidationFailedException("body", "a JSON object is required");
            return (body, []);
        }
        if (!request.HasFormContentType)
        {
            throw new ProblemException(415, "Unsupported content type", "send application/json, or multipart/form-data with files");
        }
        var form = await request.ReadFormAsync(cancellationToken);
        T? parsed;
        if (jsonField is not null)
        {
            if (form[jsonField] is not [{ } text])
            {
                throw new ValidationFailedException(jsonField, $"the form field '{jsonField}' carries the JSON of the {typeof(T).Name}");
            }
            parsed = JsonSerializer.Deserialize<T>(text, json);
        }
        else
        {
            var fields = form.Where(f => f.Key != "files").ToDictionary(f => f.Key, f => (object?)f.Value.ToString(), StringComparer.Ordinal);
            parsed = JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(fields), json);
        }
        var files = form.Files.Select(f => new UploadedFile(f.FileName, f.ContentType, f.OpenReadStream())).ToList();
        return (parsed ?? throw new ValidationFailedException("body", "the form is empty"), files);
    }
}
