using System.Numerics;

namespace MtlEngine.Kernels.Reduction;

/// <summary>Reduces a contiguous run of values to one result; the unit of work of <see cref="AxisReduction"/>.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <typeparam name="TResult">The result type (T, or <see cref="int"/> for arg-reductions).</typeparam>
public interface ISpanReducer<T, TResult>
{
    /// <summary>The reduction of <paramref name="values"/> (possibly empty).</summary>
    TResult Reduce(ReadOnlySpan<T> values);
}

/// <summary>
/// Reduction over any set of axes of a strided n-dimensional input. The output has one element per index
/// of the kept axes, in row-major order. For each output element the reduced sub-array is handed to the
/// reducer as one span: directly when it is contiguous, otherwise gathered in row-major order into a
/// per-thread buffer. Each output is computed by one thread in a fixed order, so results do not depend on
/// the degree of parallelism.
/// </summary>
public static class AxisReduction
{
    /// <summary>Reduces <paramref name="input"/> (of <paramref name="shape"/>) over <paramref name="axes"/> into <paramref name="output"/>.</summary>
    /// <param name="shape">The input's shape.</param>
    /// <param name="input">The input's array, offset and strides.</param>
    /// <param name="axes">The axes to reduce, each in [0, rank) and distinct; empty reduces nothing (a copy through the reducer).</param>
    /// <param name="output">Receives one result per index of the kept axes (row-major); its length must be their product.</param>
    /// <param name="reducer">The reduction of one run.</param>
    /// <param name="parallelism">How many threads may share the output elements.</param>
    /// <exception cref="ArgumentException">When an axis is out of range or repeated, or the output has the wrong length.</exception>
    public static void Reduce<T, TResult, TReducer>(ReadOnlySpan<int> shape, StridedArray<T> input, ReadOnlySpan<int> axes,
        TResult[] output, TReducer reducer, Parallelism parallelism)
        where T : unmanaged
        where TReducer : struct, ISpanReducer<T, TResult>
    {
        StridedLayout.CheckRanks(shape, input.Strides);
        int rank = shape.Length;
        // Everything in stack space: a training step reduces every step (bias gradients), so one thread allocates nothing.
        Span<bool> reduced = rank <= 64 ? stackalloc bool[rank] : new bool[rank];
        foreach (int axis in axes)
        {
            if (axis < 0 || axis >= rank)
                throw new ArgumentException($"Axis {axis} is out of range for an input of rank {rank}.");
            if (reduced[axis])
                throw new ArgumentException($"Axis {axis} is listed twice; list each axis to reduce once.");
            reduced[axis] = true;
        }
        int reducedCount = 0;
        foreach (bool r in reduced) if (r) reducedCount++;
        int keptCount = rank - reducedCount;
        Span<int> keptShape = keptCount <= 32 ? stackalloc int[keptCount] : new int[keptCount];
        Span<int> keptStrides = keptCount <= 32 ? stackalloc int[keptCount] : new int[keptCount];
        Span<int> redShape = reducedCount <= 32 ? stackalloc int[reducedCount] : new int[reducedCount];
        Span<int> redStrides = reducedCount <= 32 ? stackalloc int[reducedCount] : new int[reducedCount];
        for (int d = 0, kept = 0, red = 0; d < rank; d++)
        {
            if (reduced[d]) (redShape[red], redStrides[red++]) = (shape[d], input.Strides[d]);
            else (keptShape[kept], keptStrides[kept++]) = (shape[d], input.Strides[d]);
        }
        long outCount = 1, runLength = 1;
        foreach (int s in keptShape) outCount *= s;
        foreach (int s in redShape) runLength *= s;
        if (output.Length != outCount)
            throw new ArgumentException($"The output holds {output.Length} elements but the kept axes index {outCount}.");
        if (outCount == 0) return;

        int room = Math.Max(reducedCount, 1);
        Span<int> runShape = room <= 32 ? stackalloc int[room] : new int[room];
        Span<int> runStrides = room <= 32 ? stackalloc int[room] : new int[room];
        int runRank = CollapseRun(redShape, redStrides, runShape, runStrides);
        runShape = runShape[..runRank];
        runStrides = runStrides[..runRank];
        bool contiguousRun = runLength <= 1 || (runRank == 1 && runStrides[0] == 1);

        int chunks = (int)Math.Min(Math.Min(parallelism.Degree, outCount),
            Math.Max(1, outCount * Math.Max(runLength, 1) / StridedLayout.MinElementsPerThread));
        if (chunks <= 1)
            new Job<T, TResult, TReducer>(input.Data, input.Offset, keptShape, keptStrides, runShape, runStrides, (int)runLength, contiguousRun, output, reducer)
                .Run(0, (int)outCount);
        else
            RunParallel(input.Data, input.Offset, keptShape.ToArray(), keptStrides.ToArray(), runShape.ToArray(), runStrides.ToArray(),
                (int)runLength, contiguousRun, output, reducer, outCount, chunks);
    }

    /// <summary>
    /// The reduced axes of one operand collapsed as <see cref="StridedLayout.CollapseInto"/> does (size-1 axes dropped, a pair
    /// merged when the outer stride is the inner stride times the inner size; rank ≥ 1): the same elements in the same
    /// row-major order. Returns the collapsed rank.
    /// </summary>
    private static int CollapseRun(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, Span<int> outShape, Span<int> outStrides)
    {
        int count = 0;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 1) continue;
            if (count > 0 && outStrides[count - 1] == strides[d] * (long)shape[d])
            {
                outShape[count - 1] *= shape[d];
                outStrides[count - 1] = strides[d];
            }
            else
            {
                outShape[count] = shape[d];
                outStrides[count] = strides[d];
                count++;
            }
        }
        if (count == 0)
        {
            outShape[0] = 1;
            outStrides[0] = 0;
            count = 1;
        }
        return count;
    }

    /// <summary>The threaded part of <see cref="Reduce"/>, apart so that one thread allocates no closure.</summary>
    private static void RunParallel<T, TResult, TReducer>(T[] data, int offset, int[] keptShape, int[] keptStrides, int[] runShape, int[] runStrides,
        int runLength, bool contiguousRun, TResult[] output, TReducer reducer, long outCount, int chunks)
        where T : unmanaged
        where TReducer : struct, ISpanReducer<T, TResult> =>
        ForkJoin.Run(chunks, new Share<T, TResult, TReducer>(data, offset, keptShape, keptStrides, runShape, runStrides, runLength, contiguousRun, output, reducer, outCount, chunks));

    private readonly struct Share<T, TResult, TReducer>(T[] data, int offset, int[] keptShape, int[] keptStrides, int[] runShape, int[] runStrides,
        int runLength, bool contiguousRun, TResult[] output, TReducer reducer, long outCount, int chunks) : IShareBody
        where T : unmanaged
        where TReducer : struct, ISpanReducer<T, TResult>
    {
        public void Run(int c) =>
            new Job<T, TResult, TReducer>(data, offset, keptShape, keptStrides, runShape, runStrides, runLength, contiguousRun, output, reducer)
                .Run((int)(c * outCount / chunks), (int)((c + 1) * outCount / chunks));
    }

    /// <summary>One thread's share of the outputs; its shapes and strides may live in the caller's stack.</summary>
    private readonly ref struct Job<T, TResult, TReducer>(T[] data, int offset, ReadOnlySpan<int> keptShape, ReadOnlySpan<int> keptStrides,
        ReadOnlySpan<int> runShape, ReadOnlySpan<int> runStrides, int runLength, bool contiguousRun, TResult[] output, TReducer reducer)
        where T : unmanaged
        where TReducer : struct, ISpanReducer<T, TResult>
    {
        private readonly T[] data = data;
        private readonly int offset = offset;
        private readonly ReadOnlySpan<int> keptShape = keptShape, keptStrides = keptStrides, runShape = runShape, runStrides = runStrides;
        private readonly int runLength = runLength;
        private readonly bool contiguousRun = contiguousRun;
        private readonly TResult[] output = output;
        private readonly TReducer reducer = reducer;

        // Outputs that are neighbours along the innermost kept axis are gathered together, up to this many:
        // their runs are interleaved in memory (e.g. the columns of a row-major matrix summed over rows), so
        // reading a tile of them row by row touches each cache line once instead of once per output.
        private const int TileWidth = 16;

        public void Run(int start, int end)
        {
            int kept = keptShape.Length;
            // The gather buffer comes from the shared pool (a training step sums bias gradients over strided runs every step).
            T[]? buffer = contiguousRun || runLength == 0 ? null : System.Buffers.ArrayPool<T>.Shared.Rent(TileWidth * runLength);
            try
            {
                Run(start, end, buffer);
            }
            finally
            {
                if (buffer is not null) System.Buffers.ArrayPool<T>.Shared.Return(buffer);
            }
        }

        private void Run(int start, int end, T[]? buffer)
        {
            int kept = keptShape.Length;
            Span<int> index = stackalloc int[kept];
            long rest = start;
            for (int d = kept - 1; d >= 0; d--) { index[d] = (int)(rest % keptShape[d]); rest /= keptShape[d]; }
            int baseOffset = offset;
            for (int d = 0; d < kept; d++) baseOffset += index[d] * keptStrides[d];
            int o = start;
            while (o < end)
            {
                int tile = 1;
                if (runLength == 0)
                    output[o] = reducer.Reduce(ReadOnlySpan<T>.Empty);
                else if (contiguousRun)
                    output[o] = reducer.Reduce(data.AsSpan(baseOffset, runLength));
                else
                {
                    // Neighbours along the innermost kept axis, within this thread's range.
                    int innerStride = kept > 0 ? keptStrides[kept - 1] : 0;
                    tile = kept > 0 ? Math.Min(Math.Min(TileWidth, keptShape[kept - 1] - index[kept - 1]), end - o) : 1;
                    GatherTile(baseOffset, innerStride, tile, buffer!);
                    for (int j = 0; j < tile; j++)
                        output[o + j] = reducer.Reduce(buffer.AsSpan(j * runLength, runLength));
                }
                for (int step = 0; step < tile; step++, o++)
                    for (int d = kept - 1; d >= 0; d--)
                    {
                        index[d]++;
                        baseOffset += keptStrides[d];
                        if (index[d] < keptShape[d]) break;
                        index[d] = 0;
                        baseOffset -= keptStrides[d] * keptShape[d];
                    }
            }
        }

        // Copies the runs of `tile` neighbouring outputs (the first starting at baseOffset, the next ones
        // tileStride further each) into consecutive segments of buffer, each in row-major order of the
        // reduced axes: the same values in the same order as gathering each run on its own.
        private void GatherTile(int baseOffset, int tileStride, int tile, T[] buffer)
        {
            int rank = runShape.Length, inner = runShape[rank - 1], innerStride = runStrides[rank - 1];
            Span<int> index = stackalloc int[rank];
            int rowOffset = baseOffset;
            for (int written = 0; written < runLength; written += inner)
            {
                for (int i = 0; i < inner; i++)
                {
                    int address = rowOffset + i * innerStride;
                    for (int j = 0; j < tile; j++)
                        buffer[j * runLength + written + i] = data[address + j * tileStride];
                }
                for (int d = rank - 2; d >= 0; d--)
                {
                    index[d]++;
                    rowOffset += runStrides[d];
                    if (index[d] < runShape[d]) break;
                    index[d] = 0;
                    rowOffset -= runStrides[d] * runShape[d];
                }
            }
        }
    }
}

/// <summary>Σ of the run (0 when empty).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct SumReducer<T> : ISpanReducer<T, T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public T Reduce(ReadOnlySpan<T> values) => ReductionKernels.Sum(values);
}

/// <summary>The maximum of the run (an error when empty).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MaxReducer<T> : ISpanReducer<T, T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public T Reduce(ReadOnlySpan<T> values) => ReductionKernels.Max(values);
}

/// <summary>The minimum of the run (an error when empty).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MinReducer<T> : ISpanReducer<T, T> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public T Reduce(ReadOnlySpan<T> values) => ReductionKernels.Min(values);
}

/// <summary>The index within the run of its first maximum (an error when empty).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ArgMaxReducer<T> : ISpanReducer<T, int> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public int Reduce(ReadOnlySpan<T> values) => ReductionKernels.ArgMax(values);
}

/// <summary>The index within the run of its first minimum (an error when empty).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct ArgMinReducer<T> : ISpanReducer<T, int> where T : unmanaged, INumber<T>
{
    /// <inheritdoc />
    public int Reduce(ReadOnlySpan<T> values) => ReductionKernels.ArgMin(values);
}

/// <summary>The mean of the run (NaN when empty).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct MeanReducer<T> : ISpanReducer<T, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public T Reduce(ReadOnlySpan<T> values) => ReductionKernels.Mean(values);
}

/// <summary>The variance of the run with <paramref name="ddof"/> delta degrees of freedom.</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="ddof">Delta degrees of freedom: the divisor is n − ddof.</param>
public readonly struct VarianceReducer<T>(int ddof) : ISpanReducer<T, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public T Reduce(ReadOnlySpan<T> values) => ReductionKernels.Variance(values, ddof);
}

/// <summary>log Σ exp of the run (−∞ when empty).</summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly struct LogSumExpReducer<T> : ISpanReducer<T, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public T Reduce(ReadOnlySpan<T> values) => ReductionKernels.LogSumExp(values);
}

/// <summary>The p-norm of the run (0 when empty).</summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="p">The order p &gt; 0 (+∞ for the maximum norm).</param>
public readonly struct NormReducer<T>(T p) : ISpanReducer<T, T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public T Reduce(ReadOnlySpan<T> values) => ReductionKernels.Norm(values, p);
}
