using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MtlEngine.Kernels.Layout;

/// <summary>
/// Copies an n-dimensional strided view into another strided view of the same shape:
/// <c>destination[o_d + Σ i_k·sd_k] = source[o_s + Σ i_k·ss_k]</c> for every index (i_0, …, i_{r-1}).
/// </summary>
/// <remarks>
/// <para>The fast path first <em>coalesces</em> dimensions: neighbouring dimensions k, k+1 with
/// <c>stride_k = size_{k+1}·stride_{k+1}</c> in both views form one longer dimension, and size-1 dimensions
/// are dropped, so that a contiguous-to-contiguous copy becomes one span copy and a slice of rows
/// becomes one loop of row copies. It then walks the outer dimensions with an odometer index and runs
/// the last two dimensions as a 2-d copy: row by row (a block copy when both innermost strides are 1), or in
/// cache-sized square tiles when one side is strided, as in a transpose.</para>
/// <para>Large copies are split over threads along the outermost coalesced dimension only; each thread
/// writes disjoint destination elements (the destination must not overlap itself, e.g. no stride-0
/// dimension of size &gt; 1, and must not overlap the source), so the result does not depend on the
/// thread count.</para>
/// <para><see cref="CopyReference{T}"/> is the textbook twin: one flat loop that unravels each linear
/// index into n-d indices.</para>
/// </remarks>
public static class StridedCopy
{
    /// <summary>Copies with fewer elements than this run on the calling thread: below it, starting threads costs more than the copy.</summary>
    public const int ParallelThreshold = ParallelThresholds.StridedCopyElements;

    /// <summary>Copies the view (<paramref name="sourceOffset"/>, <paramref name="shape"/>, <paramref name="sourceStrides"/>) of
    /// <paramref name="source"/> into the view (<paramref name="destinationOffset"/>, <paramref name="shape"/>,
    /// <paramref name="destinationStrides"/>) of <paramref name="destination"/>.</summary>
    /// <param name="source">The source buffer.</param>
    /// <param name="sourceOffset">The index in <paramref name="source"/> of the element at all-zero indices.</param>
    /// <param name="sourceStrides">The source step, in elements, per dimension (0 and negative allowed).</param>
    /// <param name="destination">The destination buffer; it must not overlap <paramref name="source"/>.</param>
    /// <param name="destinationOffset">The index in <paramref name="destination"/> of the element at all-zero indices.</param>
    /// <param name="destinationStrides">The destination step per dimension (negative allowed; must not make the view overlap itself).</param>
    /// <param name="shape">The size of each dimension, shared by both views.</param>
    /// <param name="parallelism">How many threads large copies may use.</param>
    /// <exception cref="ArgumentException">When the ranks differ or a view reaches outside its buffer.</exception>
    public static unsafe void Copy<T>(
        ReadOnlySpan<T> source, int sourceOffset, ReadOnlySpan<int> sourceStrides,
        Span<T> destination, int destinationOffset, ReadOnlySpan<int> destinationStrides,
        ReadOnlySpan<int> shape, Parallelism parallelism) where T : unmanaged
    {
        long count = CheckViews(source.Length, sourceOffset, sourceStrides, destination.Length, destinationOffset, destinationStrides, shape);
        if (count == 0) return;

        // Coalesce: dims as (size, source stride, destination stride), outermost first.
        int rank = shape.Length;
        Span<int> size = stackalloc int[Math.Max(rank, 1)];
        Span<int> ss = stackalloc int[Math.Max(rank, 1)];
        Span<int> ds = stackalloc int[Math.Max(rank, 1)];
        int r = Coalesce(shape, sourceStrides, destinationStrides, size, ss, ds);
        if (r == 0) { destination[destinationOffset] = source[sourceOffset]; return; }

        int outer = size[0];
        if (parallelism.IsSequential || count < ParallelThreshold || outer < 2)
        {
            CopyBlock(source, sourceOffset, destination, destinationOffset, size[..r], ss[..r], ds[..r], 0, outer);
            return;
        }

        // Parallel over the outermost coalesced dimension, in fixed contiguous ranges.
        int[] sizeA = size[..r].ToArray(), ssA = ss[..r].ToArray(), dsA = ds[..r].ToArray();
        int sourceLength = source.Length, destinationLength = destination.Length;
        int parts = Math.Min(parallelism.Degree, outer);
        fixed (T* sp = source)
        fixed (T* dp = destination)
        {
            nint sAddress = (nint)sp, dAddress = (nint)dp;
            Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            {
                int begin = (int)((long)outer * part / parts), end = (int)((long)outer * (part + 1) / parts);
                var src = new ReadOnlySpan<T>((T*)sAddress, sourceLength);
                var dst = new Span<T>((T*)dAddress, destinationLength);
                CopyBlock(src, sourceOffset, dst, destinationOffset, sizeA, ssA, dsA, begin, end);
            });
        }
    }

    /// <summary>The textbook twin of <see cref="Copy{T}"/>: for each linear row-major index, unravel it into
    /// n-d indices and copy one element.</summary>
    /// <param name="source">The source buffer.</param>
    /// <param name="sourceOffset">The index in <paramref name="source"/> of the element at all-zero indices.</param>
    /// <param name="sourceStrides">The source step per dimension.</param>
    /// <param name="destination">The destination buffer.</param>
    /// <param name="destinationOffset">The index in <paramref name="destination"/> of the element at all-zero indices.</param>
    /// <param name="destinationStrides">The destination step per dimension.</param>
    /// <param name="shape">The size of each dimension.</param>
    public static void CopyReference<T>(
        ReadOnlySpan<T> source, int sourceOffset, ReadOnlySpan<int> sourceStrides,
        Span<T> destination, int destinationOffset, ReadOnlySpan<int> destinationStrides,
        ReadOnlySpan<int> shape) where T : unmanaged
    {
        long count = CheckViews(source.Length, sourceOffset, sourceStrides, destination.Length, destinationOffset, destinationStrides, shape);
        for (long linear = 0; linear < count; linear++)
        {
            long rest = linear, s = sourceOffset, d = destinationOffset;
            for (int k = shape.Length - 1; k >= 0; k--)
            {
                long i = rest % shape[k];
                rest /= shape[k];
                s += i * sourceStrides[k];
                d += i * destinationStrides[k];
            }
            destination[(int)d] = source[(int)s];
        }
    }

    /// <summary>Merges dimensions that are one run in both views and drops size-1 dimensions.
    /// Returns the number of remaining dimensions (0 when the copy is a single element).</summary>
    internal static int Coalesce(ReadOnlySpan<int> shape, ReadOnlySpan<int> sourceStrides, ReadOnlySpan<int> destinationStrides,
        Span<int> size, Span<int> ss, Span<int> ds)
    {
        int r = 0;
        for (int k = 0; k < shape.Length; k++)
        {
            if (shape[k] == 1) continue;
            // Dimension k continues the previous one when previous stride = size_k · stride_k in both views.
            if (r > 0 && (long)ss[r - 1] == (long)shape[k] * sourceStrides[k] && (long)ds[r - 1] == (long)shape[k] * destinationStrides[k])
            {
                size[r - 1] *= shape[k];
                ss[r - 1] = sourceStrides[k];
                ds[r - 1] = destinationStrides[k];
                continue;
            }
            size[r] = shape[k]; ss[r] = sourceStrides[k]; ds[r] = destinationStrides[k];
            r++;
        }
        return r;
    }

    /// <summary>Copies the sub-block with outermost index in [<paramref name="begin"/>, <paramref name="end"/>):
    /// an odometer over the dimensions before the last two, and a (tiled) 2-d copy for the last two.</summary>
    private static void CopyBlock<T>(ReadOnlySpan<T> source, int sourceOffset, Span<T> destination, int destinationOffset,
        ReadOnlySpan<int> size, ReadOnlySpan<int> ss, ReadOnlySpan<int> ds, int begin, int end)
    {
        int r = size.Length;
        if (r == 1)
        {
            CopyRun(source, sourceOffset + begin * ss[0], ss[0], destination, destinationOffset + begin * ds[0], ds[0], end - begin);
            return;
        }
        int rows = size[r - 2], cols = size[r - 1];
        if (r == 2)
        {
            Copy2D(source, sourceOffset + begin * ss[0], ss[0], ss[1], destination, destinationOffset + begin * ds[0], ds[0], ds[1], end - begin, cols);
            return;
        }

        // Odometer over dimensions 0 .. r-3, with dimension 0 limited to [begin, end).
        Span<int> index = stackalloc int[r - 2];
        index.Clear();
        index[0] = begin;
        int s = sourceOffset + begin * ss[0], d = destinationOffset + begin * ds[0];
        while (true)
        {
            Copy2D(source, s, ss[r - 2], ss[r - 1], destination, d, ds[r - 2], ds[r - 1], rows, cols);
            int k = r - 3;
            while (true)
            {
                index[k]++;
                s += ss[k]; d += ds[k];
                int limit = k == 0 ? end : size[k];
                if (index[k] < limit) break;
                if (k == 0) return;
                s -= index[k] * ss[k]; d -= index[k] * ds[k];
                index[k] = 0;
                k--;
            }
        }
    }

    /// <summary>Side of the square tiles of a 2-d copy whose innermost strides are not both 1 (a transpose, say):
    /// a Tile × Tile block of either view touches only Tile cache lines per row, so both stay in L1.</summary>
    private const int Tile = 32;

    /// <summary>Rows of a strided 2-d copy longer than this are tiled even when there are at most <see cref="Tile"/> of
    /// them: a strided row touches up to a cache line per element, 512 of them 32 KB (L1), and a longer row (a convolution's
    /// upstream gradient transposed) would have pushed the first lines out before the next row comes back to them.</summary>
    private const int UntiledColumns = 512;

    /// <summary>A 2-d copy: row i, column j goes from s + i·rs + j·cs to d + i·rd + j·cd. Row by row when both
    /// column steps are 1 (each row a block copy) or the block is small; otherwise in Tile × Tile tiles (Tile columns of
    /// every row when there are fewer rows).</summary>
    private static void Copy2D<T>(ReadOnlySpan<T> source, int s, int rs, int cs, Span<T> destination, int d, int rd, int cd, int rows, int cols)
    {
        if ((cs == 1 && cd == 1) || cols <= Tile || (rows <= Tile && cols <= UntiledColumns))
        {
            for (int i = 0; i < rows; i++)
                CopyRun(source, s + i * rs, cs, destination, d + i * rd, cd, cols);
            return;
        }
        for (int i0 = 0; i0 < rows; i0 += Tile)
        {
            int iEnd = Math.Min(rows, i0 + Tile);
            for (int j0 = 0; j0 < cols; j0 += Tile)
            {
                int width = Math.Min(Tile, cols - j0);
                for (int i = i0; i < iEnd; i++)
                    CopyRun(source, s + i * rs + j0 * cs, cs, destination, d + i * rd + j0 * cd, cd, width);
            }
        }
    }

    /// <summary>The innermost loop: <paramref name="count"/> elements with the given steps; a block copy when both
    /// steps are 1, a fill when a broadcast source meets a contiguous destination. The views were bounds-checked
    /// once in <see cref="Copy{T}"/>, so the general loop uses unchecked element references.</summary>
    private static void CopyRun<T>(ReadOnlySpan<T> source, int s, int sourceStep, Span<T> destination, int d, int destinationStep, int count)
    {
        if (sourceStep == 1 && destinationStep == 1)
        {
            source.Slice(s, count).CopyTo(destination.Slice(d, count));
            return;
        }
        if (sourceStep == 0 && destinationStep == 1)
        {
            destination.Slice(d, count).Fill(source[s]);
            return;
        }
        ref T src = ref MemoryMarshal.GetReference(source);
        ref T dst = ref MemoryMarshal.GetReference(destination);
        nint si = s, di = d;
        for (int i = 0; i < count; i++, si += sourceStep, di += destinationStep)
            Unsafe.Add(ref dst, di) = Unsafe.Add(ref src, si);
    }

    private static long CheckViews(int sourceLength, int sourceOffset, ReadOnlySpan<int> sourceStrides,
        int destinationLength, int destinationOffset, ReadOnlySpan<int> destinationStrides, ReadOnlySpan<int> shape)
    {
        if (sourceStrides.Length != shape.Length || destinationStrides.Length != shape.Length)
            throw new ArgumentException(
                $"A copy of rank {shape.Length} got {sourceStrides.Length} source strides and {destinationStrides.Length} destination strides.");
        long count = 1;
        foreach (int n in shape)
        {
            if (n < 0) throw new ArgumentException($"A copy shape has a negative dimension ({n}).");
            count *= n;
        }
        if (count == 0) return 0;
        CheckReach("source", sourceLength, sourceOffset, sourceStrides, shape);
        CheckReach("destination", destinationLength, destinationOffset, destinationStrides, shape);
        return count;
    }

    private static void CheckReach(string name, int length, int offset, ReadOnlySpan<int> strides, ReadOnlySpan<int> shape)
    {
        long low = offset, high = offset;
        for (int k = 0; k < shape.Length; k++)
        {
            long reach = (long)(shape[k] - 1) * strides[k];
            if (reach < 0) low += reach; else high += reach;
        }
        if (low < 0 || high >= length)
            throw new ArgumentException($"The {name} view reaches elements [{low}, {high}] outside a buffer of {length} elements.");
    }
}
