namespace MtlEngine.Kernels;

/// <summary>
/// An n-dimensional view of an array, as the strided kernels see it: the element at indices (i₀, …, iₙ₋₁)
/// lives at <c>Data[Offset + Σₖ iₖ·Strides[k]]</c>. Strides are in elements; 0 repeats an element along a
/// (broadcast) dimension and negative strides walk backwards.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="Data">The array holding the elements.</param>
/// <param name="Offset">The index in <paramref name="Data"/> of the element at all-zero indices.</param>
/// <param name="Strides">The step in elements for each dimension.</param>
public readonly record struct StridedArray<T>(T[] Data, int Offset, int[] Strides);

/// <summary>Walks the outer dimensions of a strided iteration space and hands each innermost row to a row kernel.</summary>
internal interface IRowKernel
{
    /// <summary>Processes inner indices [start, start + count) of the row whose operands begin at <paramref name="offsets"/>.</summary>
    void Row(ReadOnlySpan<int> offsets, int start, int count);
}

/// <summary>Dimension collapsing and the threaded outer loop shared by the strided element-wise and reduction drivers.</summary>
internal static class StridedLayout
{
    /// <summary>Below this many elements per thread the work stays on one thread (<see cref="ParallelThresholds.ElementsPerThread"/>).</summary>
    public const int MinElementsPerThread = ParallelThresholds.ElementsPerThread;

    /// <summary>
    /// Simplifies an iteration space shared by several operands without changing which elements meet:
    /// size-1 dimensions are dropped, and dimensions d and d+1 merge when every operand has
    /// stride[d] = stride[d+1]·shape[d+1] (they are contiguous together). The result has rank ≥ 1.
    /// </summary>
    public static (int[] Shape, int[][] Strides) Collapse(ReadOnlySpan<int> shape, params int[][] strides)
    {
        int room = Math.Max(shape.Length, 1);
        Span<int> outShape = room <= 32 ? stackalloc int[room] : new int[room];
        Span<int> outStrides = room * strides.Length <= 128 ? stackalloc int[room * strides.Length] : new int[room * strides.Length];
        int rank = CollapseInto(shape, strides, outShape, outStrides);
        var collapsed = new int[strides.Length][];
        for (int k = 0; k < strides.Length; k++) collapsed[k] = outStrides.Slice(k * rank, rank).ToArray();
        return (outShape[..rank].ToArray(), collapsed);
    }

    /// <summary>
    /// <see cref="Collapse"/> into caller space (each at least max(rank, 1) long per operand): writes the collapsed shape to
    /// <paramref name="outShape"/> and operand k's strides to <paramref name="outStrides"/>[k·r .. k·r + r), and returns r.
    /// Every element-wise operation calls this, so it allocates nothing.
    /// </summary>
    public static int CollapseInto(ReadOnlySpan<int> shape, ReadOnlySpan<int[]> strides, Span<int> outShape, Span<int> outStrides)
    {
        // Collapsed with operand k's strides at [k·room + c], then packed to [k·count + c].
        int room = Math.Max(shape.Length, 1), operands = strides.Length;
        int count = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            int last = count - 1;
            bool merges = last >= 0;
            for (int k = 0; k < operands && merges; k++)
                merges = outStrides[k * room + last] == strides[k][d] * (long)shape[d];
            if (merges)
            {
                outShape[last] *= shape[d];
                for (int k = 0; k < operands; k++) outStrides[k * room + last] = strides[k][d];
            }
            else
            {
                outShape[count] = shape[d];
                for (int k = 0; k < operands; k++) outStrides[k * room + count] = strides[k][d];
                count++;
            }
        }
        if (count == 0)
        {
            outShape[0] = 1;
            for (int k = 0; k < operands; k++) outStrides[k * room] = 0;
            count = 1;
        }
        for (int k = 1; k < operands; k++) outStrides.Slice(k * room, count).CopyTo(outStrides[(k * count)..]); // k·count ≤ k·room: moves down
        return count;
    }

    /// <summary>
    /// Runs <paramref name="kernel"/> over every innermost row of a collapsed iteration space (operand k's strides at
    /// <paramref name="strides"/>[k·rank .. k·rank + rank), its start at <paramref name="offsets"/>[k]). Rows are split
    /// into equal contiguous blocks, one per thread; when there are fewer rows than threads, every row is
    /// split along its inner dimension instead.
    /// </summary>
    public static void Run<TKernel>(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> offsets, Parallelism parallelism, TKernel kernel)
        where TKernel : struct, IRowKernel
    {
        int rank = shape.Length;
        int inner = shape[rank - 1];
        long rows = 1;
        for (int d = 0; d < rank - 1; d++) rows *= shape[d];
        long total = rows * inner;
        if (total == 0) return;
        int chunks = (int)Math.Min(parallelism.Degree, Math.Max(1, total / MinElementsPerThread));
        if (chunks == 1)
        {
            RunRows(shape, strides, offsets, 0, rows, 0, inner, kernel);
            return;
        }
        RunParallel(shape, strides, offsets, rows, inner, chunks, kernel);
    }

    // The layout handed to the threads of one RunParallel call: shape, strides and offsets packed into one array per
    // calling thread, reused (the threads read it only while the call waits for them; a share never calls Run again).
    [ThreadStatic] private static int[]? t_layout;

    /// <summary>The threaded part of <see cref="Run"/>, apart so that one thread allocates no closure.</summary>
    private static void RunParallel<TKernel>(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> offsets, long rows, int inner, int chunks, TKernel kernel)
        where TKernel : struct, IRowKernel
    {
        int length = shape.Length + strides.Length + offsets.Length;
        var layout = t_layout is { } held && held.Length >= length ? held : t_layout = new int[Math.Max(length, 64)];
        shape.CopyTo(layout);
        strides.CopyTo(layout.AsSpan(shape.Length));
        offsets.CopyTo(layout.AsSpan(shape.Length + strides.Length));
        ForkJoin.Run(chunks, new RowShare<TKernel>(layout, shape.Length, strides.Length, offsets.Length, rows, inner, chunks, kernel));
    }

    /// <summary>Chunk c of <see cref="RunParallel"/>: a block of rows, or (fewer rows than chunks) a block of every row.</summary>
    private readonly struct RowShare<TKernel>(int[] layout, int rank, int strideCount, int operands, long rows, int inner, int chunks, TKernel kernel) : IShareBody
        where TKernel : struct, IRowKernel
    {
        public void Run(int c)
        {
            var shape = new ReadOnlySpan<int>(layout, 0, rank);
            var strides = new ReadOnlySpan<int>(layout, rank, strideCount);
            var offsets = new ReadOnlySpan<int>(layout, rank + strideCount, operands);
            if (rows >= chunks)
                RunRows(shape, strides, offsets, c * rows / chunks, (c + 1) * rows / chunks, 0, inner, kernel);
            else
                RunRows(shape, strides, offsets, 0, rows, (int)((long)c * inner / chunks), (int)((long)(c + 1) * inner / chunks), kernel);
        }
    }

    private static void RunRows<TKernel>(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> baseOffsets,
        long rowStart, long rowEnd, int innerStart, int innerEnd, TKernel kernel)
        where TKernel : struct, IRowKernel
    {
        int rank = shape.Length, outer = rank - 1, operands = baseOffsets.Length;
        Span<int> index = stackalloc int[Math.Max(outer, 1)];
        Span<int> offsets = stackalloc int[operands];
        // Position the odometer at rowStart (row-major over the outer dimensions).
        long rest = rowStart;
        for (int d = outer - 1; d >= 0; d--)
        {
            index[d] = (int)(rest % shape[d]);
            rest /= shape[d];
        }
        for (int k = 0; k < operands; k++)
        {
            long o = baseOffsets[k];
            for (int d = 0; d < outer; d++) o += (long)index[d] * strides[k * rank + d];
            offsets[k] = (int)o;
        }
        for (long row = rowStart; row < rowEnd; row++)
        {
            kernel.Row(offsets, innerStart, innerEnd - innerStart);
            for (int d = outer - 1; d >= 0; d--)
            {
                index[d]++;
                for (int k = 0; k < operands; k++) offsets[k] += strides[k * rank + d];
                if (index[d] < shape[d]) break;
                index[d] = 0;
                for (int k = 0; k < operands; k++) offsets[k] -= strides[k * rank + d] * shape[d];
            }
        }
    }

    /// <summary>Checks that each operand has one stride per dimension.</summary>
    public static void CheckRanks(ReadOnlySpan<int> shape, params ReadOnlySpan<int[]> strides)
    {
        foreach (int[] s in strides)
        {
            ArgumentNullException.ThrowIfNull(s);
            if (s.Length != shape.Length)
                throw new ArgumentException($"An operand has {s.Length} strides but the iteration shape has {shape.Length} dimensions; give one stride per dimension (0 to broadcast).");
        }
        foreach (int size in shape)
            if (size < 0) throw new ArgumentException("The iteration shape has a negative dimension.");
    }
}
