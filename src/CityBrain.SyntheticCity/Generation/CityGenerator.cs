namespace CityBrain.SyntheticCity.Generation;

/// <summary>Generates a deterministic synthetic Hangzhou: ground truth and each department's dirty view of it.</summary>
public static class CityGenerator
{
    /// <summary>Changes whenever the same options would give different files.</summary>
    public const string Version = "1";

    /// <summary>
    /// Writes the city into <see cref="CityGenerationOptions.OutputDirectory"/>. Impossible options throw a
    /// ValidationFailedException before anything is written; on failure or cancellation the files written are removed.
    /// </summary>
    public static async Task<CityGenerationResult> GenerateAsync(CityGenerationOptions options, IProgress<GenerationProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var directory = Path.GetFullPath(options.OutputDirectory);
        var existed = Directory.Exists(directory);
        try
        {
            return await Task.Run(() => new CityBuild(options, progress, cancellationToken).Run(), cancellationToken);
        }
        catch
        {
            RemovePartialOutput(directory, existed);
            throw;
        }
    }

    private static void RemovePartialOutput(string directory, bool existed)
    {
        if (!Directory.Exists(directory))
        {
            return;
        }
        if (!existed)
        {
            Directory.Delete(directory, recursive: true);
            return;
        }
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            if (Directory.Exists(entry))
            {
                Directory.Delete(entry, recursive: true);
            }
            else
            {
                File.Delete(entry);
            }
        }
    }
}
