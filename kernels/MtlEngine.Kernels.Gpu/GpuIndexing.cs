using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// Selecting and adding rows by integer index on the GPU, for a contiguous array viewed as (outer, rows, inner) with the
/// indexed axis in the middle (torch's <c>index_select</c> and <c>index_add</c>; an embedding lookup and its gradient):
/// <code>
/// select: z[o, j, i] = x[o, idx[j], i]
/// add:    z[o, r, i] = x[o, r, i] + Σ_{j : idx[j] = r} s[o, j, i]   (j ascending)
/// </code>
/// The add is written as a gather: the host groups the positions j by destination row (<see cref="RowGroups"/>, a CSR
/// of the index), so each output element is one thread that sums its own sources in ascending j — no atomics, and the
/// same order of additions as the CPU loop, so the results are bitwise the CPU's.
/// </summary>
public static class GpuIndexing
{
    /// <summary>z (outer × count × inner) = x (outer × rows × inner) at the rows <paramref name="index"/> (device ints, each in [0, rows)).</summary>
    /// <exception cref="ArgumentException">When a view's length does not match the sizes.</exception>
    public static void Select<T>(GpuContext gpu, ArrayView<T> x, ArrayView<int> index, ArrayView<T> z, int outer, int rows, int inner) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long count = index.Length;
        if (x.Length != (long)outer * rows * inner || z.Length != outer * count * inner)
            throw new ArgumentException($"index_select of {outer}×{rows}×{inner} by {count} indices needs views of {(long)outer * rows * inner} and {outer * count * inner} elements; got {x.Length} and {z.Length}.");
        if (z.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int>>(
            (Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int>)SelectKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>, int, int>(SelectKernel<T>));
        kernel((int)z.Length, x, index, z, rows, inner);
    }

    /// <summary>
    /// z = x + the rows of s added at <paramref name="rowStart"/>/<paramref name="sources"/> (the index grouped by destination:
    /// row r's sources are sources[rowStart[r] .. rowStart[r + 1]), ascending), x and z (outer × rows × inner), s (outer × count × inner).
    /// </summary>
    /// <exception cref="ArgumentException">When a view's length does not match the sizes.</exception>
    public static void Add<T>(GpuContext gpu, ArrayView<T> x, ArrayView<int> rowStart, ArrayView<int> sources, ArrayView<T> s, ArrayView<T> z,
        int outer, int rows, int inner) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        long count = sources.Length;
        if (x.Length != (long)outer * rows * inner || z.Length != x.Length || s.Length != outer * count * inner || rowStart.Length != rows + 1)
            throw new ArgumentException($"index_add into {outer}×{rows}×{inner} from {count} rows needs matching views; got x {x.Length}, z {z.Length}, s {s.Length}, row starts {rowStart.Length}.");
        if (z.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int, int, int>>(
            (Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int, int, int>)AddKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<T>, int, int, int>(AddKernel<T>));
        kernel((int)z.Length, x, rowStart, sources, s, z, rows, (int)count, inner);
    }

    /// <summary>z[i] = x[offsets[i]]: a gather at offsets the host computed (torch's <c>gather</c> on a contiguous x).</summary>
    public static void GatherAt<T>(GpuContext gpu, ArrayView<T> x, ArrayView<int> offsets, ArrayView<T> z) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (z.Length != offsets.Length) throw new ArgumentException($"A gather of {offsets.Length} offsets needs an output of that length, not {z.Length}.");
        if (z.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>>>(
            (Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>>)GatherAtKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<T>>(GatherAtKernel<T>));
        kernel((int)z.Length, x, offsets, z);
    }

    /// <summary>
    /// z[d] = x[d] + Σ s[sources[t]] for t in rowStart[d] .. rowStart[d + 1] (ascending): torch's <c>scatter_add</c> as a gather
    /// over destinations grouped on the host.
    /// </summary>
    public static void AddGrouped<T>(GpuContext gpu, ArrayView<T> x, ArrayView<int> rowStart, ArrayView<int> sources, ArrayView<T> s, ArrayView<T> z)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (z.Length != x.Length || rowStart.Length != x.Length + 1)
            throw new ArgumentException($"A grouped add into {x.Length} elements needs an output of that length and {x.Length + 1} row starts; got {z.Length} and {rowStart.Length}.");
        if (z.Length == 0) return;
        var kernel = gpu.Kernel<Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<T>>>(
            (Action<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<T>>)AddGroupedKernel<T>,
            a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<int>, ArrayView<int>, ArrayView<T>, ArrayView<T>>(AddGroupedKernel<T>));
        kernel((int)z.Length, x, rowStart, sources, s, z);
    }

    /// <summary>
    /// The index grouped by destination row (a CSR, counting sort): <c>rowStart</c> of length rows + 1 and <c>sources</c>, the
    /// positions j with index[j] = r for each r in ascending j.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">When an index is outside [0, rows).</exception>
    public static (int[] RowStart, int[] Sources) RowGroups(ReadOnlySpan<int> index, int rows)
    {
        var rowStart = new int[rows + 1];
        foreach (int r in index)
        {
            if ((uint)r >= (uint)rows) throw new ArgumentOutOfRangeException(nameof(index), r, $"Index {r} is outside [0, {rows}).");
            rowStart[r + 1]++;
        }
        for (int r = 0; r < rows; r++) rowStart[r + 1] += rowStart[r];
        var next = rowStart[..rows];
        var sources = new int[index.Length];
        for (int j = 0; j < index.Length; j++) sources[next[index[j]]++] = j;
        return (rowStart, sources);
    }

    internal static void GatherAtKernel<T>(Index1D index, ArrayView<T> x, ArrayView<int> offsets, ArrayView<T> z) where T : unmanaged =>
        z[index] = x[offsets[index]];

    internal static void AddGroupedKernel<T>(Index1D index, ArrayView<T> x, ArrayView<int> rowStart, ArrayView<int> sources, ArrayView<T> s, ArrayView<T> z)
        where T : unmanaged, INumber<T>
    {
        T sum = x[index];
        for (int t = rowStart[index]; t < rowStart[index + 1]; t++) sum += s[sources[t]];
        z[index] = sum;
    }

    internal static void SelectKernel<T>(Index1D index, ArrayView<T> x, ArrayView<int> rowIndex, ArrayView<T> z, int rows, int inner) where T : unmanaged
    {
        long i = index;
        long count = rowIndex.Length;
        long within = i % inner, j = i / inner % count, o = i / ((long)inner * count);
        z[i] = x[(o * rows + rowIndex[j]) * inner + within];
    }

    internal static void AddKernel<T>(Index1D index, ArrayView<T> x, ArrayView<int> rowStart, ArrayView<int> sources, ArrayView<T> s, ArrayView<T> z,
        int rows, int count, int inner) where T : unmanaged, INumber<T>
    {
        long i = index;
        long within = i % inner, r = i / inner % rows, o = i / ((long)inner * rows);
        T sum = x[i];
        for (int t = rowStart[r]; t < rowStart[r + 1]; t++) sum += s[(o * count + sources[t]) * inner + within];
        z[i] = sum;
    }
}
