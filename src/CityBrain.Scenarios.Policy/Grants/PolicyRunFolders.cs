using Microsoft.Extensions.Hosting;

namespace CityBrain.Scenarios.Policy.Grants;

/// <summary>
/// Where a policy run keeps its reads of the lake (Parquet files with personal data) while it matches:
/// DATA/policy-runs/&lt;run&gt;/, owner-only (0700), never the world-readable temp folder. Each run holds an exclusive lock
/// on its folder's <c>owner.lock</c> for as long as it lives; the operating system drops the lock when the process dies,
/// however it dies. So a folder whose lock can be taken belongs to a dead run, and <see cref="RemoveLeftovers"/> (at the
/// start of every run and of serve) deletes it, while a live run's folder, in this process or another, is left alone.
/// </summary>
internal sealed class PolicyRunFolders(string dataDirectory, TimeProvider time)
{
    private const string LockName = "owner.lock";

    /// <summary>A folder that never got its lock (its run died between creating it and locking it) is removed once this old.</summary>
    private static readonly TimeSpan UnlockedGrace = TimeSpan.FromMinutes(1);

    public string Root { get; } = Path.Combine(Path.GetFullPath(dataDirectory), "policy-runs");

    /// <summary>Removes the folders of dead runs first, then creates and locks a folder for this run.</summary>
    public RunFolder Create()
    {
        RemoveLeftovers();
        var path = Path.Combine(Root, Guid.NewGuid().ToString("N"));
        CreateOwnerOnly(path);
        var ownerLock = new FileStream(Path.Combine(path, LockName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
        // A sweep may have taken the lock file in the instant between its creation and our lock; then the folder is gone.
        if (!File.Exists(ownerLock.Name))
        {
            ownerLock.Dispose();
            throw new IOException($"the run folder {path} was removed while it was being created; run again");
        }
        return new RunFolder(path, ownerLock);
    }

    /// <summary>Deletes every run folder whose owner is dead; returns how many.</summary>
    public int RemoveLeftovers()
    {
        CreateOwnerOnly(Root);
        var removed = 0;
        foreach (var folder in Directory.EnumerateDirectories(Root))
        {
            var lockPath = Path.Combine(folder, LockName);
            try
            {
                if (!File.Exists(lockPath))
                {
                    if (time.GetUtcNow().UtcDateTime - Directory.GetCreationTimeUtc(folder) < UnlockedGrace)
                    {
                        continue; // being created right now
                    }
                    Directory.Delete(folder, recursive: true);
                    removed++;
                    continue;
                }
                // Holding the dead owner's lock while deleting, so no one else takes the folder meanwhile.
                using (new FileStream(lockPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                {
                    Directory.Delete(folder, recursive: true);
                }
                removed++;
            }
            catch (IOException)
            {
                // The lock is held: the run is alive (or the folder went away under us). Leave it.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to delete; the next sweep tries again.
            }
        }
        return removed;
    }

    private static void CreateOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path); // the data folder's ACL applies
            return;
        }
        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // An existing folder keeps its mode: narrow it, in case it was made wider by hand.
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}

/// <summary>One run's folder, locked while the run lives; disposing deletes it with the reads inside.</summary>
internal sealed class RunFolder(string path, FileStream ownerLock) : IDisposable
{
    public string Path { get; } = path;

    public void Dispose()
    {
        // Deleted while still locked, so a sweep cannot mistake it for a dead run's half-deleted folder.
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        finally
        {
            ownerLock.Dispose();
        }
    }
}

/// <summary>Serve's start removes what runs killed since the last start left behind.</summary>
internal sealed class PolicyRunLeftoversSweep(PolicyRunFolders folders) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        folders.RemoveLeftovers();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
