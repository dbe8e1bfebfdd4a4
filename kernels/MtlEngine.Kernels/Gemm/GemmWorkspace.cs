using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// The packing buffers of one thread: 64-byte aligned, allocated once on the pinned object heap and reused by
/// every later GEMM on that thread (no allocation per call). A cache, not a setting: it holds no state between calls.
/// Affects speed and memory only, never results (every call packs its operands afresh before reading them).
/// </summary>
internal sealed unsafe class GemmWorkspace<T> where T : unmanaged
{
    [ThreadStatic] private static GemmWorkspace<T>? s_current;

    private T[] _a = [], _b = [], _tile = [];

    /// <summary>The calling thread's workspace, grown to hold the requested element counts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static GemmWorkspace<T> ForCurrentThread(int aLength, int bLength, int tileLength)
    {
        var workspace = s_current ??= new GemmWorkspace<T>();
        Grow(ref workspace._a, aLength);
        Grow(ref workspace._b, bLength);
        Grow(ref workspace._tile, tileLength);
        return workspace;
    }

    /// <summary>The packed A block (at least MC·KC elements).</summary>
    public T* A => Aligned(_a);

    /// <summary>The packed B panel (at least KC·NC elements).</summary>
    public T* B => Aligned(_b);

    /// <summary>An MR×NR scratch tile for edge tiles and non-unit column strides of C.</summary>
    public T* Tile => Aligned(_tile);

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
