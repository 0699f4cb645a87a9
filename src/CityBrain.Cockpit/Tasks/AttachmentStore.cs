using System.Security.Cryptography;
using CityBrain.Kernel.Errors;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Tasks;

/// <summary>A file as it arrives: its name and declared type are the sender's claims; the bytes decide.</summary>
internal sealed record UploadedFile(string FileName, string? DeclaredType, Stream Content);

/// <summary>A checked upload in a temporary file, not yet part of any task.</summary>
internal sealed record StagedFile(string TempPath, TaskAttachment Attachment);

/// <summary>
/// Attachments under DATA/attachments, named by their SHA-256 (ab/abcdef...). A file is written to a temporary file
/// first and moved into place only after its row commits, so a failed action leaves neither row nor file.
/// </summary>
internal sealed class AttachmentStore(IOptions<TaskOptions> options)
{
    public static readonly IReadOnlyList<string> AcceptedTypes = ["image/jpeg", "image/png", "image/webp", "application/pdf"];

    private readonly TaskOptions _options = options.Value;

    /// <summary>Checks size and type (by magic bytes, and the declared type must agree) while copying to a temporary file.</summary>
    public async Task<StagedFile> StageAsync(UploadedFile file, string field, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(_options.AttachmentDirectory, "tmp");
        Directory.CreateDirectory(staging);
        var tempPath = Path.Combine(staging, Guid.NewGuid().ToString("N"));
        try
        {
            var buffer = new byte[81920];
            long size = 0;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var head = new byte[16];
            var headLength = 0;
            await using (var output = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                int read;
                while ((read = await file.Content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > _options.MaxAttachmentBytes)
                    {
                        throw new ProblemException(413, "The attachment is too large",
                            $"{field}: '{file.FileName}' is larger than the limit of {_options.MaxAttachmentBytes} bytes", new Dictionary<string, string[]> { [field] = [$"larger than {_options.MaxAttachmentBytes} bytes"] });
                    }
                    if (headLength < head.Length)
                    {
                        var take = Math.Min(head.Length - headLength, read);
                        Array.Copy(buffer, 0, head, headLength, take);
                        headLength += take;
                    }
                    sha.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            if (size == 0)
            {
                throw new ValidationFailedException(field, $"'{file.FileName}' is empty");
            }
            var detected = Detect(head.AsSpan(0, headLength));
            if (detected is null)
            {
                throw UnsupportedType(field, $"'{file.FileName}' is not a JPEG, PNG or WebP photo or a PDF file (judged by its content)");
            }
            if (!string.IsNullOrEmpty(file.DeclaredType) && file.DeclaredType != "application/octet-stream" && !string.Equals(file.DeclaredType, detected, StringComparison.OrdinalIgnoreCase))
            {
                throw UnsupportedType(field, $"'{file.FileName}' is declared {file.DeclaredType} but its content is {detected}");
            }
            var hash = Convert.ToHexStringLower(sha.GetHashAndReset());
            var name = SafeName(file.FileName);
            return new StagedFile(tempPath, new TaskAttachment("att_" + Guid.NewGuid().ToString("N"), name, detected, size, hash));
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
    }

    /// <summary>Moves a staged file into place once its row has committed. The same content stored twice is kept once.</summary>
    public void Commit(StagedFile staged)
    {
        var path = PathOf(staged.Attachment.Sha256);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            File.Delete(staged.TempPath);
            return;
        }
        File.Move(staged.TempPath, path, overwrite: true);
    }

    public static void Discard(IEnumerable<StagedFile> staged)
    {
        foreach (var file in staged)
        {
            File.Delete(file.TempPath);
        }
    }

    public Stream Open(TaskAttachment attachment) =>
        new FileStream(PathOf(attachment.Sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);

    internal string PathOf(string sha256) => Path.Combine(_options.AttachmentDirectory, sha256[..2], sha256);

    /// <summary>The content type the first bytes prove, or null.</summary>
    internal static string? Detect(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "image/jpeg";
        }
        if (head.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "image/png";
        }
        if (head.Length >= 12 && head[..4].SequenceEqual("RIFF"u8) && head[8..12].SequenceEqual("WEBP"u8))
        {
            return "image/webp";
        }
        if (head.StartsWith("%PDF-"u8))
        {
            return "application/pdf";
        }
        return null;
    }

    private static ProblemException UnsupportedType(string field, string message) =>
        new(415, "The attachment type is not accepted", message, new Dictionary<string, string[]> { [field] = [message] });

    /// <summary>Only the file's own name, without folders, at most 200 characters: it is shown and offered on download.</summary>
    private static string SafeName(string fileName)
    {
        var name = Path.GetFileName(fileName.Replace('\\', '/')).Trim();
        name = new string(name.Where(c => !char.IsControl(c) && c != '"').ToArray());
        if (name.Length == 0)
        {
            name = "attachment";
        }
        return name.Length > 200 ? name[^200..] : name;
    }
}
