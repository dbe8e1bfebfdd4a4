using System.Numerics;
using ILGPU;
using ILGPU.Runtime;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// A matrix in device memory as a strided view: element (i, j) is at <c>Offset + i·RowStride + j·ColumnStride</c>.
/// Row-major storage has (RowStride, ColumnStride) = (columns, 1); <see cref="Transposed"/> swaps rows and
/// columns without moving data.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="Data">The device buffer.</param>
/// <param name="Offset">The index of element (0, 0).</param>
/// <param name="Rows">The number of rows.</param>
/// <param name="Columns">The number of columns.</param>
/// <param name="RowStride">The step between rows, in elements.</param>
/// <param name="ColumnStride">The step between columns, in elements.</param>
public readonly record struct GpuMatrix<T>(ArrayView<T> Data, int Offset, int Rows, int Columns, int RowStride, int ColumnStride)
    where T : unmanaged
{
    /// <summary>A row-major rows×columns matrix at the start of <paramref name="data"/>.</summary>
    public static GpuMatrix<T> RowMajor(ArrayView<T> data, int rows, int columns) => new(data, 0, rows, columns, columns, 1);

    /// <summary>The transpose, as a view of the same elements.</summary>
    public GpuMatrix<T> Transposed() => new(Data, Offset, Columns, Rows, ColumnStride, RowStride);

    /// <summary>Element (i, j).</summary>
    public T this[int i, int j]
    {
        get => Data[Offset + (long)i * RowStride + (long)j * ColumnStride];
        set => Data[Offset + (long)i * RowStride + (long)j * ColumnStride] = value;
    }
}

/// <summary>
/// The tiled GEMM on the GPU: <code>C = α·A·B + β·C</code> with A m×k, B k×n and C m×n given as strided views
/// (so transposed operands cost nothing). β = 0 means C is only written.
/// <para>Blocking (the literature's names): each group of <see cref="ThreadsX"/>×<see cref="ThreadsY"/> threads
/// computes one <see cref="BM"/>×<see cref="BN"/> tile of C. The loop over p walks k in steps of
/// <see cref="BK"/>; each step the group stages an A panel (BM×BK) and a B panel (BK×BN) in shared memory
/// — zero-padded past the edges of A and B, so every shape is handled, sizes that are not multiples of the
/// tile and k = 0 included — then every thread accumulates its <see cref="TM"/>×<see cref="TN"/> register block
/// of C from a column of the A panel and a row of the B panel (TM + TN shared loads for TM·TN FMAs); the
/// register block is four <see cref="Quad{T}"/> rows, so TM = TN = 4 are fixed by the code.</para>
/// <para>The k loop runs to k (ILGPU's sample GEMM runs it to m, a bug that square tests never caught; the tests
/// here use m &lt; k and k &lt; n). The block sizes are a first choice for correctness on ILGPU's CPU accelerator,
/// which simulates at most 64 threads per group here; they are still to be tuned on a real GPU.</para>
/// </summary>
public static class GpuGemm
{
    /// <summary>Rows of C per group (tile height).</summary>
    public const int BM = 32;
    /// <summary>Columns of C per group (tile width).</summary>
    public const int BN = 32;
    /// <summary>The depth of one shared-memory panel (the step of the p loop over k).</summary>
    public const int BK = 8;
    /// <summary>Rows of the register block per thread.</summary>
    public const int TM = 4;
    /// <summary>Columns of the register block per thread.</summary>
    public const int TN = 4;
    /// <summary>Threads per group along the columns of C.</summary>
    public const int ThreadsX = BN / TN;
    /// <summary>Threads per group along the rows of C.</summary>
    public const int ThreadsY = BM / TM;

    /// <summary>C = α·A·B + β·C (launched asynchronously; <see cref="GpuContext.Synchronize"/> before reading C on the host).</summary>
    /// <exception cref="ArgumentException">When the shapes do not agree (A m×k, B k×n, C m×n).</exception>
    public static void Multiply<T>(GpuContext gpu, T alpha, GpuMatrix<T> a, GpuMatrix<T> b, T beta, GpuMatrix<T> c)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (a.Columns != b.Rows || a.Rows != c.Rows || b.Columns != c.Columns)
            throw new ArgumentException(
                $"GEMM shapes do not agree: A is {a.Rows}×{a.Columns}, B is {b.Rows}×{b.Columns}, C is {c.Rows}×{c.Columns}; " +
                "need A m×k, B k×n and C m×n (transpose an operand with Transposed() or fix its view).");
        if (c.Rows == 0 || c.Columns == 0) return;
        var kernel = gpu.Kernel<Action<KernelConfig, GpuMatrix<T>, GpuMatrix<T>, GpuMatrix<T>, T, T>>(
            (Action<GpuMatrix<T>, GpuMatrix<T>, GpuMatrix<T>, T, T>)TiledKernel<T>,
            accelerator => accelerator.LoadStreamKernel<GpuMatrix<T>, GpuMatrix<T>, GpuMatrix<T>, T, T>(TiledKernel<T>));
        var grid = new Index2D((c.Columns + BN - 1) / BN, (c.Rows + BM - 1) / BM);
        kernel(new KernelConfig(grid, new Index2D(ThreadsX, ThreadsY)), a, b, c, alpha, beta);
    }

    /// <summary>One group computes the BM×BN tile of C at (Grid.IdxY·BM, Grid.IdxX·BN).</summary>
    internal static void TiledKernel<T>(GpuMatrix<T> a, GpuMatrix<T> b, GpuMatrix<T> c, T alpha, T beta)
        where T : unmanaged, INumber<T>
    {
        // Shared panels: aPanel[q·BM + r] = A[row0 + r, p0 + q] (k-major, so a thread's TM rows are adjacent);
        //                bPanel[q·BN + s] = B[p0 + q, col0 + s].
        var aPanel = SharedMemory.Allocate<T>(BK * BM);
        var bPanel = SharedMemory.Allocate<T>(BK * BN);

        int m = c.Rows, n = c.Columns, k = a.Columns;
        int row0 = Grid.IdxY * BM, col0 = Grid.IdxX * BN;
        int tx = Group.IdxX, ty = Group.IdxY, thread = ty * ThreadsX + tx;

        // The TM×TN register block: one Quad per row (struct fields, so the compiler keeps them in registers;
        // an indexed local array would live in local memory).
        Quad<T> c0 = default, c1 = default, c2 = default, c3 = default;

        for (int p0 = 0; p0 < k; p0 += BK)
        {
            for (int e = thread; e < BM * BK; e += ThreadsX * ThreadsY)
            {
                int r = e / BK, q = e % BK, i = row0 + r, p = p0 + q;
                aPanel[q * BM + r] = i < m && p < k ? a[i, p] : T.Zero;
            }
            for (int e = thread; e < BK * BN; e += ThreadsX * ThreadsY)
            {
                int q = e / BN, s = e % BN, p = p0 + q, j = col0 + s;
                bPanel[q * BN + s] = p < k && j < n ? b[p, j] : T.Zero;
            }
            Group.Barrier();

            for (int q = 0; q < BK; q++)
            {
                // Rank-1 update of the register block: TM + TN shared loads feed TM·TN multiply-adds.
                var aColumn = Quad<T>.Load(aPanel, q * BM + ty * TM);
                var bRow = Quad<T>.Load(bPanel, q * BN + tx * TN);
                c0 = c0.MultiplyAdd(aColumn.X0, bRow);
                c1 = c1.MultiplyAdd(aColumn.X1, bRow);
                c2 = c2.MultiplyAdd(aColumn.X2, bRow);
                c3 = c3.MultiplyAdd(aColumn.X3, bRow);
            }
            Group.Barrier();
        }

        int i0 = row0 + ty * TM, j0 = col0 + tx * TN;
        Store(c, i0, j0, c0, alpha, beta);
        Store(c, i0 + 1, j0, c1, alpha, beta);
        Store(c, i0 + 2, j0, c2, alpha, beta);
        Store(c, i0 + 3, j0, c3, alpha, beta);
    }

    /// <summary>C[i, j..j+3] = α·row + β·C[i, j..j+3], skipping what lies outside C.</summary>
    private static void Store<T>(GpuMatrix<T> c, int i, int j, Quad<T> row, T alpha, T beta) where T : unmanaged, INumber<T>
    {
        if (i >= c.Rows) return;
        for (int s = 0; s < TN && j + s < c.Columns; s++)
        {
            T product = alpha * row[s];
            c[i, j + s] = beta == T.Zero ? product : product + beta * c[i, j + s];
        }
    }
}

/// <summary>Four values of one row of a register block (<see cref="GpuGemm.TN"/> = 4).</summary>
/// <typeparam name="T">The element type.</typeparam>
internal readonly struct Quad<T>(T x0, T x1, T x2, T x3) where T : unmanaged, INumber<T>
{
    public T X0 { get; } = x0;
    public T X1 { get; } = x1;
    public T X2 { get; } = x2;
    public T X3 { get; } = x3;

    public T this[int s] => s switch { 0 => X0, 1 => X1, 2 => X2, _ => X3 };

    /// <summary>view[start..start+3].</summary>
    public static Quad<T> Load(ArrayView<T> view, int start) => new(view[start], view[start + 1], view[start + 2], view[start + 3]);

    /// <summary>this + a·b, lane by lane.</summary>
    public Quad<T> MultiplyAdd(T a, Quad<T> b) => new(X0 + a * b.X0, X1 + a * b.X1, X2 + a * b.X2, X3 + a * b.X3);
}
