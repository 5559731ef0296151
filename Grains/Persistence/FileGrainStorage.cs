using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using OrleansMq.Storage;

namespace OrleansMq.Grains.Persistence;

/// <summary>
/// Grain state in local files, one per (state name, grain): the embedded broker's metadata store (routes, registries,
/// consumer offsets). Writes are atomic and durable (<see cref="DurableFile"/>), so a crash leaves either the old or
/// the new state, never a torn one. The ETag is a version
/// number kept in the file header; a write with a stale ETag fails with <see cref="InconsistentStateException"/>.
/// </summary>
/// <remarks>
/// Thread-safe for distinct grains. Orleans' single activation guarantees one writer per grain; the ETag check guards
/// against a second activation (a split-brain cluster or a misconfigured shared directory).
/// File: 4 bytes magic "OMQS", 4 bytes format version (1), 8 bytes version (little-endian), then the payload.
/// </remarks>
internal sealed partial class FileGrainStorage(string name, FileGrainStorageOptions options, IGrainStorageSerializer serializer, ILogger<FileGrainStorage> logger)
    : IGrainStorage
{
    private const uint Magic = 0x53514D4F; // "OMQS" little-endian
    private const int FormatVersion = 1;
    private const int HeaderSize = 16;
    private const int MaxFileNameBytes = 200;

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(stateName, grainId);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path);
        }
        catch (FileNotFoundException)
        {
            ResetState(grainState);
            return;
        }
        catch (DirectoryNotFoundException)
        {
            ResetState(grainState);
            return;
        }

        if (bytes.Length < HeaderSize || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            throw new InvalidDataException($"Grain state file '{path}' of storage '{name}' is not an OrleansMq state file (bad header).");
        }

        var version = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8));
        grainState.State = serializer.Deserialize<T>(new BinaryData(bytes.AsMemory(HeaderSize)));
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(stateName, grainId);
        var payload = serializer.Serialize(grainState.State).ToMemory();
        var bytes = new byte[HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), FormatVersion);
        payload.Span.CopyTo(bytes.AsSpan(HeaderSize));
        var etag = grainState.ETag;
        long next = 0;
        await BlockingFileIo.RunAsync(() =>
        {
            var current = CurrentVersion(path);
            CheckETag(path, etag, current);
            next = current + 1;
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), next);
            DurableFile.WriteAllBytes(path, bytes);
        });

        grainState.ETag = next.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var path = PathFor(stateName, grainId);
        var etag = grainState.ETag;
        await BlockingFileIo.RunAsync(() =>
        {
            CheckETag(path, etag, CurrentVersion(path));
            File.Delete(path);
            DurableFile.FlushDirectory(Path.GetDirectoryName(path)!);
        });

        ResetState(grainState);
    }

    private static void ResetState<T>(IGrainState<T> grainState)
    {
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private void CheckETag(string path, string? etag, long current)
    {
        var expected = etag is null ? 0 : long.Parse(etag, CultureInfo.InvariantCulture);
        if (expected != current)
        {
            LogConflict(path, etag ?? "(none)", current);
            throw new InconsistentStateException(
                $"Grain state '{path}' is at version {current} but the write expected {etag ?? "no state"}; another activation wrote it.",
                current.ToString(CultureInfo.InvariantCulture), etag ?? "");
        }
    }

    private static long CurrentVersion(string path)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> header = stackalloc byte[HeaderSize];
            file.ReadExactly(header);
            return BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    private string PathFor(string stateName, GrainId grainId) =>
        Path.Combine(options.Directory, Escape(stateName), Escape(grainId.ToString()) + ".state");

    /// <summary>
    /// A file name that maps one-to-one to the text: safe characters kept, others as %XX of their UTF-8 bytes; names too
    /// long for a file system get a SHA-256 suffix instead of their tail.
    /// </summary>
    internal static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        if (builder.Length <= MaxFileNameBytes)
        {
            return builder.ToString();
        }

        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        return string.Concat(builder.ToString(0, MaxFileNameBytes - hash.Length - 1), "~", hash);
    }

    [LoggerMessage(1, LogLevel.Warning, "Grain state {Path}: write expected version {Expected} but the file is at {Current}")]
    private partial void LogConflict(string path, string expected, long current);
}
