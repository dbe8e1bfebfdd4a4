using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MtlEngine.Kernels.Gemm;

/// <summary>Whether GEMM uses an operand as given or its transpose.</summary>
public enum MatrixOp
{
    /// <summary>op(X) = X.</summary>
    None = 0,
    /// <summary>op(X) = Xᵀ (a change of strides, never a copy).</summary>
    Transpose,
}

/// <summary>
/// General matrix multiply for float and double: <c>C = α·op(A)·op(B) + β·C</c>, op ∈ {none, transpose},
/// over views with arbitrary row and column strides. Packed and blocked after Goto/BLIS (five loops around a
/// microkernel per instruction set, see <see cref="GemmBlockSizes"/>), split over threads by a fixed partition
/// so the result is bitwise the same for any thread count.
/// β = 0 means C is only written (whatever it held, NaN included); α = 0 means A and B are not read.
/// C must not overlap A or B.
/// </summary>
public static class Gemm
{
    /// <summary>C = α·A·B + β·C with A m×k, B k×n, C m×n.</summary>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">The m×k left operand.</param>
    /// <param name="b">The k×n right operand.</param>
    /// <param name="beta">Scale of C's old contents (0: ignore them).</param>
    /// <param name="c">The m×n result, updated in place.</param>
    /// <param name="parallelism">How many threads to use (null: all cores, <see cref="Parallelism.Default"/>).</param>
    /// <param name="instructionSet">The microkernel family; <see cref="GemmInstructionSet.Auto"/> picks the best (tests force each).</param>
    /// <exception cref="ArgumentException">When the shapes do not agree.</exception>
    /// <exception cref="NotSupportedException">When <typeparamref name="T"/> is not float or double (except with the reference kernel).</exception>
    /// <exception cref="PlatformNotSupportedException">When a forced instruction set is not available on this machine.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply<T>(T alpha, ReadOnlyMatrixSpan<T> a, ReadOnlyMatrixSpan<T> b, T beta, MatrixSpan<T> c,
        Parallelism? parallelism = null, GemmInstructionSet instructionSet = GemmInstructionSet.Auto)
        where T : unmanaged, INumber<T> =>
        MultiplyWithBlocks(alpha, a, b, beta, c, parallelism ?? Parallelism.Default, instructionSet, blocks: null);

    /// <summary>As <see cref="Multiply{T}(T, ReadOnlyMatrixSpan{T}, ReadOnlyMatrixSpan{T}, T, MatrixSpan{T}, Parallelism?, GemmInstructionSet)"/>
    /// with block sizes other than the table's (tests use tiny blocks to cross every loop boundary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyWithBlocks<T>(T alpha, ReadOnlyMatrixSpan<T> a, ReadOnlyMatrixSpan<T> b, T beta, MatrixSpan<T> c,
        Parallelism parallelism, GemmInstructionSet instructionSet, GemmBlockSizes? blocks)
        where T : unmanaged, INumber<T>
    {
        GemmChecks.CheckShapes(a.Rows, a.Columns, b.Rows, b.Columns, c.Rows, c.Columns);
        var set = ResolveFor<T>(instructionSet);
        if (set == GemmInstructionSet.Reference)
        {
            GemmReference.Multiply(alpha, a, b, beta, c);
            return;
        }
        unsafe
        {
            fixed (T* pa = &MemoryMarshal.GetReference(a.Data))
            fixed (T* pb = &MemoryMarshal.GetReference(b.Data))
            fixed (T* pc = &MemoryMarshal.GetReference(c.Data))
            {
                var op = Operands(alpha, a, pa, b, pb, beta, c, pc);
                Execute(op, set, parallelism.Degree, blocks);
            }
        }
    }

    /// <summary>C = α·op(A)·op(B) + β·C: the BLAS form, with op(A) m×k, op(B) k×n, C m×n.</summary>
    /// <inheritdoc cref="Multiply{T}(T, ReadOnlyMatrixSpan{T}, ReadOnlyMatrixSpan{T}, T, MatrixSpan{T}, Parallelism?, GemmInstructionSet)"/>
    public static void Multiply<T>(T alpha, ReadOnlyMatrixSpan<T> a, MatrixOp opA, ReadOnlyMatrixSpan<T> b, MatrixOp opB, T beta, MatrixSpan<T> c,
        Parallelism? parallelism = null, GemmInstructionSet instructionSet = GemmInstructionSet.Auto)
        where T : unmanaged, INumber<T> =>
        Multiply(alpha, opA == MatrixOp.Transpose ? a.Transposed() : a, opB == MatrixOp.Transpose ? b.Transposed() : b, beta, c, parallelism, instructionSet);

    /// <summary>
    /// A batch of independent products C_t = α·A_t·B_t + β·C_t for t = 0 .. <paramref name="batchCount"/> − 1, where
    /// matrix t of each operand starts <c>t·batchStride</c> elements after the given view (stride 0 reuses one matrix for every t).
    /// Small matrices are spread over threads by batch; large ones use every thread per product.
    /// </summary>
    /// <exception cref="ArgumentException">When shapes disagree or the last matrix of a batch reaches outside its span.</exception>
    public static void MultiplyBatched<T>(int batchCount, T alpha, ReadOnlyMatrixSpan<T> a, int aBatchStride, ReadOnlyMatrixSpan<T> b, int bBatchStride,
        T beta, MatrixSpan<T> c, int cBatchStride, Parallelism? parallelism = null, GemmInstructionSet instructionSet = GemmInstructionSet.Auto)
        where T : unmanaged, INumber<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(batchCount);
        GemmChecks.CheckShapes(a.Rows, a.Columns, b.Rows, b.Columns, c.Rows, c.Columns);
        if (batchCount == 0) return;
        // Strides are linear in t, so the first and last matrices bound every other.
        int last = batchCount - 1;
        _ = new ReadOnlyMatrixSpan<T>(a.Data, checked(a.Offset + last * aBatchStride), a.Rows, a.Columns, a.RowStride, a.ColumnStride);
        _ = new ReadOnlyMatrixSpan<T>(b.Data, checked(b.Offset + last * bBatchStride), b.Rows, b.Columns, b.RowStride, b.ColumnStride);
        _ = new MatrixSpan<T>(c.Data, checked(c.Offset + last * cBatchStride), c.Rows, c.Columns, c.RowStride, c.ColumnStride);
        var set = ResolveFor<T>(instructionSet);
        if (set == GemmInstructionSet.Reference)
        {
            for (int t = 0; t < batchCount; t++)
                GemmReference.Multiply(alpha,
                    new ReadOnlyMatrixSpan<T>(a.Data, a.Offset + t * aBatchStride, a.Rows, a.Columns, a.RowStride, a.ColumnStride),
                    new ReadOnlyMatrixSpan<T>(b.Data, b.Offset + t * bBatchStride, b.Rows, b.Columns, b.RowStride, b.ColumnStride), beta,
                    new MatrixSpan<T>(c.Data, c.Offset + t * cBatchStride, c.Rows, c.Columns, c.RowStride, c.ColumnStride));
            return;
        }
        unsafe
        {
            fixed (T* pa = &MemoryMarshal.GetReference(a.Data))
            fixed (T* pb = &MemoryMarshal.GetReference(b.Data))
            fixed (T* pc = &MemoryMarshal.GetReference(c.Data))
            {
                var first = Operands(alpha, a, pa, b, pb, beta, c, pc);
                int threads = (parallelism ?? Parallelism.Default).Degree;
                long flops = 2L * a.Rows * a.Columns * b.Columns;
                int batchWorkers = Math.Min(threads, batchCount);
                if (batchWorkers > 1 && flops < 2 * GemmBlockSizes.For<T>(set).MinFlopsPerThread)
                {
                    // Products too small to split over threads: a fixed contiguous share of the batch per thread instead.
                    MultiplyBatchesInParallel(first, set, batchCount, batchWorkers, aBatchStride, bBatchStride, cBatchStride);
                }
                else
                {
                    for (int t = 0; t < batchCount; t++) Execute(Shift(first, t, aBatchStride, bBatchStride, cBatchStride), set, threads);
                }
            }
        }
    }

    /// <summary>A contiguous share of the batch per thread, apart from the caller so that one thread allocates no closure.</summary>
    private static unsafe void MultiplyBatchesInParallel<T>(GemmOperands<T> first, GemmInstructionSet set, int batchCount, int batchWorkers,
        int aBatchStride, int bBatchStride, int cBatchStride) where T : unmanaged, INumber<T> =>
        ForkJoin.Run(batchWorkers, new BatchShare<T>(first, set, batchCount, batchWorkers, aBatchStride, bBatchStride, cBatchStride));

    private readonly struct BatchShare<T>(GemmOperands<T> first, GemmInstructionSet set, int batchCount, int batchWorkers,
        int aBatchStride, int bBatchStride, int cBatchStride) : IShareBody where T : unmanaged, INumber<T>
    {
        public void Run(int w)
        {
            int t0 = (int)((long)batchCount * w / batchWorkers), t1 = (int)((long)batchCount * (w + 1) / batchWorkers);
            for (int t = t0; t < t1; t++) Execute(Shift(first, t, aBatchStride, bBatchStride, cBatchStride), set, 1);
        }
    }

    /// <summary>The instruction set to run for <typeparamref name="T"/>, checking the type and the hardware.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static GemmInstructionSet ResolveFor<T>(GemmInstructionSet instructionSet)
    {
        var set = GemmInstructionSets.Resolve(instructionSet);
        if (set != GemmInstructionSet.Reference && typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException(
                $"GEMM runs on float and double; {typeof(T).Name} is not supported (convert the operands, or use GemmInstructionSet.Reference for the slow textbook loop).");
        return set;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe GemmOperands<T> Operands<T>(T alpha, ReadOnlyMatrixSpan<T> a, T* pa, ReadOnlyMatrixSpan<T> b, T* pb, T beta, MatrixSpan<T> c, T* pc)
        where T : unmanaged => new()
    {
        M = c.Rows, N = c.Columns, K = a.Columns,
        A = pa + a.Offset, RsA = a.RowStride, CsA = a.ColumnStride,
        B = pb + b.Offset, RsB = b.RowStride, CsB = b.ColumnStride,
        C = pc + c.Offset, RsC = c.RowStride, CsC = c.ColumnStride,
        Alpha = alpha, Beta = beta,
    };

    private static unsafe GemmOperands<T> Shift<T>(GemmOperands<T> op, int t, int aStride, int bStride, int cStride) where T : unmanaged
    {
        op.A += (nint)t * aStride; op.B += (nint)t * bStride; op.C += (nint)t * cStride;
        return op;
    }

    /// <summary>Runs one product with the microkernel of <paramref name="set"/> (already resolved; not the reference).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Execute<T>(GemmOperands<T> op, GemmInstructionSet set, int threads, GemmBlockSizes? customBlocks = null) where T : unmanaged, INumber<T>
    {
        var blocks = customBlocks ?? GemmBlockSizes.For<T>(set, op.M, op.N, op.K);
        switch (set)
        {
            case GemmInstructionSet.Avx512 when typeof(T) == typeof(float):
                GemmDriver<float, Avx512Float12x32>.Execute(Unsafe.As<GemmOperands<T>, GemmOperands<float>>(ref op), blocks, threads);
                break;
            case GemmInstructionSet.Avx512 when typeof(T) == typeof(double):
                GemmDriver<double, Avx512Double8x24>.Execute(Unsafe.As<GemmOperands<T>, GemmOperands<double>>(ref op), blocks, threads);
                break;
            case GemmInstructionSet.Avx2:
                GemmDriver<T, Avx2Microkernel<T>>.Execute(op, blocks, threads);
                break;
            default:
                GemmDriver<T, PortableMicrokernel<T>>.Execute(op, blocks, threads);
                break;
        }
    }
}
