using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// The packing buffers of one running GEMM: 64-byte aligned, allocated once on the pinned object heap and reused by
/// every later GEMM (no allocation per call). A GEMM rents one for its run and returns it; the spares are shared by all
/// threads, so a thread-pool thread that joins a product for the first time (the pool adds and retires threads) takes a
/// spare instead of allocating megabytes of its own. A cache, not a setting: it holds no state between calls.
/// Affects speed and memory only, never results (every call packs its operands afresh before reading them).
/// </summary>
internal sealed unsafe class GemmWorkspace<T> where T : unmanaged
{
    private static readonly GemmWorkspace<T>?[] s_spares = new GemmWorkspace<T>?[Math.Max(4, 2 * Environment.ProcessorCount)];

    private T[] _a = [], _b = [], _tile = [];
    private int[] _claims = [];

    /// <summary>
    /// A spare workspace (else a new one), grown to hold the requested element counts; give it back with <see cref="Return"/>.
    /// A spare that already holds them is preferred, so that products of different sizes do not keep growing small spares.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmWorkspace<T> Rent(int aLength, int bLength, int tileLength, int claimLength = 0)
    {
        GemmWorkspace<T>? workspace = null;
        for (int i = 0; i < s_spares.Length && workspace is null; i++)
            if (Volatile.Read(ref s_spares[i]) is { } spare && spare.Holds(aLength, bLength, tileLength))
                workspace = Interlocked.Exchange(ref s_spares[i], null);
        for (int i = 0; i < s_spares.Length && workspace is null; i++)
            if (Volatile.Read(ref s_spares[i]) is not null) workspace = Interlocked.Exchange(ref s_spares[i], null);
        workspace ??= new GemmWorkspace<T>();
        Grow(ref workspace._a, aLength);
        Grow(ref workspace._b, bLength);
        Grow(ref workspace._tile, tileLength);
        if (workspace._claims.Length < claimLength) workspace._claims = GC.AllocateArray<int>(claimLength, pinned: true);
        return workspace;
    }

    private bool Holds(int aLength, int bLength, int tileLength) =>
        _a.Length >= aLength + Alignment / sizeof(T) && _b.Length >= bLength + Alignment / sizeof(T) && _tile.Length >= tileLength + Alignment / sizeof(T);

    /// <summary>Gives a rented workspace back to the spares (dropped when they are all full).</summary>
    public static void Return(GemmWorkspace<T> workspace)
    {
        for (int i = 0; i < s_spares.Length; i++)
            if (Volatile.Read(ref s_spares[i]) is null && Interlocked.CompareExchange(ref s_spares[i], workspace, null) is null) return;
    }

    /// <summary>The packed A block (at least MC·KC elements).</summary>
    public T* A => Aligned(_a);

    /// <summary>The packed B panel (at least KC·NC elements).</summary>
    public T* B => Aligned(_b);

    /// <summary>An MR×NR scratch tile for edge tiles and non-unit column strides of C.</summary>
    public T* Tile => Aligned(_tile);

    /// <summary>The claim flags of a shared packed B (at least the requested count; pinned, contents left from the last use).</summary>
    public int* Claims => (int*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(_claims));

    private const int Alignment = 64;

    private static void Grow(ref T[] buffer, int length)
    {
        int needed = length + Alignment / sizeof(T);
        if (buffer.Length < needed) buffer = GC.AllocateUninitializedArray<T>(needed, pinned: true);
    }

    private static T* Aligned(T[] buffer)
    {
        nint address = (nint)System.Runtime.CompilerServices.Unsafe.AsPointer(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(buffer));
        return (T*)((address + Alignment - 1) & ~(nint)(Alignment - 1));
    }
}
