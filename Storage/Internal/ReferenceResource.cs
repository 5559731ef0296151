namespace OrleansMq.Storage.Internal;

/// <summary>
/// A file that readers hold while they use it and that is only really closed and deleted when the last
/// holder lets go (RocketMQ <c>ReferenceResource</c>). The owner's own reference is dropped by <see cref="Retire"/>.
/// </summary>
/// <remarks>Thread-safe: <see cref="TryAcquire"/>/<see cref="Release"/> are lock-free; <see cref="OnFreed"/> runs once, on the thread of the last release.</remarks>
internal abstract class ReferenceResource
{
    private int _references = 1;
    private int _retired;

    /// <summary>True once the owner has given the resource up (no new holders).</summary>
    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>Number of holders other than the owner.</summary>
    public int HolderCount
    {
        get
        {
            var count = Volatile.Read(ref _references);
            return IsRetired ? count : count - 1;
        }
    }

    /// <summary>Takes a hold; false when the resource is already retired and freed or being freed.</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current <= 0 || IsRetired)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Gives a hold back.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            OnFreed();
        }
    }

    /// <summary>Drops the owner's reference; <see cref="OnFreed"/> runs now or when the last holder releases.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            Release();
        }
    }

    /// <summary>Closes (and, if asked, deletes) the underlying file. Must not throw.</summary>
    protected abstract void OnFreed();
}
