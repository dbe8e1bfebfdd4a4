using System.Buffers;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// A row-major rows×columns scratch matrix on an array rented from <see cref="ArrayPool{T}.Shared"/> and returned on
/// <see cref="Dispose"/>. The factorizations take their temporaries from here rather than from <c>new</c>: a fresh
/// large array is fresh memory from the operating system, and first-touch page faults cost more than the arithmetic
/// done on it (about 3 ms per MB on the project's virtual machines, 0.05 ms per MB to touch memory already mapped).
/// A rented array stays mapped between calls, so a factorization called again reuses the same pages.
/// Its one reason to exist among the matrix types: internal scratch with a lifetime (<c>using</c>); it never leaves
/// the method that made it. For a result that is returned, use a <see cref="DenseMatrix"/>.
/// </summary>
/// <remarks>
/// The rented array may be longer than rows·columns: use <see cref="Span"/>, <see cref="ReadOnlySpan"/>,
/// <see cref="Elements"/> or the indexer, never <c>Data.Length</c>. Do not use it after <see cref="Dispose"/>.
/// </remarks>
internal sealed class PooledMatrix : IDisposable
{
    private double[]? _data;

    /// <summary>A zero rows×columns scratch matrix.</summary>
    public PooledMatrix(int rows, int columns) : this(rows, columns, clear: true) { }

    /// <summary>A rows×columns scratch matrix, zeroed when <paramref name="clear"/> (otherwise its contents are whatever the pool held).</summary>
    public PooledMatrix(int rows, int columns, bool clear)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        _data = ArrayPool<double>.Shared.Rent(Math.Max(checked(rows * columns), 1));
        if (clear) Array.Clear(_data, 0, rows * columns);
    }

    /// <summary>A scratch copy of <paramref name="source"/>.</summary>
    public static PooledMatrix CopyOf(DenseMatrix source)
    {
        var copy = new PooledMatrix(source.Rows, source.Columns, clear: false);
        source.Data.AsSpan().CopyTo(copy.Elements);
        return copy;
    }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    /// <summary>The rented array; element (i, j) at <c>i·Columns + j</c>. It may be longer than rows·columns.</summary>
    public double[] Data => _data ?? throw new ObjectDisposedException(nameof(PooledMatrix));

    /// <summary>The rows·columns elements, row-major.</summary>
    public Span<double> Elements => Data.AsSpan(0, Rows * Columns);

    /// <summary>Element (i, j).</summary>
    public ref double this[int i, int j] => ref Data[i * Columns + j];

    /// <summary>The strided view the GEMM reads and writes.</summary>
    public MatrixSpan<double> Span => new(Data, 0, Rows, Columns, Columns, 1);

    /// <summary>The read-only strided view.</summary>
    public ReadOnlyMatrixSpan<double> ReadOnlySpan => new(Data, 0, Rows, Columns, Columns, 1);

    /// <summary>Returns the array to the pool.</summary>
    public void Dispose()
    {
        if (_data is not null) ArrayPool<double>.Shared.Return(_data);
        _data = null;
    }
}
