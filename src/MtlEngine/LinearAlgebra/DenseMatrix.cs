using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Kernels.Layout;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// A dense float64 matrix of shape (rows, columns), stored row-major in one array: element (i, j) is
/// <c>Data[i·Columns + j]</c>. It is the working representation of every factorization in this namespace;
/// <see cref="Span"/> gives the strided <see cref="MatrixSpan{T}"/> view the GEMM reads, so no copy is made to multiply.
/// Build one from a <c>double[,]</c> (or from a rank-2 tensor with <c>DenseMatrix.FromTensor</c>, which
/// <see cref="Tensors.TensorLinearAlgebra"/> adds one layer up); get results back with <see cref="ToArray"/>
/// (or <c>ToTensor()</c>).
/// Its one reason to exist among the matrix types: the public linear-algebra API's operand, an owned float64 rank-2
/// row-major matrix with no strides, device or autograd to consider, so a factorization indexes it directly. Use an
/// <see cref="MtlTensor{T}"/> for data and models, a <see cref="MatrixSpan{T}"/> to hand a view to a kernel.
/// </summary>
public sealed class DenseMatrix
{
    /// <summary>A zero matrix of shape (<paramref name="rows"/>, <paramref name="columns"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a size is negative.</exception>
    public DenseMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        Data = new double[checked(rows * columns)];
    }

    /// <summary>Wraps <paramref name="data"/> (row-major, not copied) as a (<paramref name="rows"/>, <paramref name="columns"/>) matrix.</summary>
    /// <exception cref="MatrixShapeException">When the array length is not rows·columns.</exception>
    public DenseMatrix(int rows, int columns, double[] data)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length != (long)rows * columns)
            throw new MatrixShapeException($"A ({rows}, {columns}) matrix needs {(long)rows * columns} elements, but the array has {data.Length}; pass an array of rows·columns elements in row-major order.");
        Rows = rows;
        Columns = columns;
        Data = data;
    }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    /// <summary>The elements, row-major (element (i, j) at <c>i·Columns + j</c>).</summary>
    public double[] Data { get; }

    /// <summary>True when the matrix is square.</summary>
    public bool IsSquare => Rows == Columns;

    /// <summary>Element (i, j).</summary>
    public ref double this[int i, int j] => ref Data[i * Columns + j];

    /// <summary>The matrix as a writable strided view for the GEMM and the triangular solvers.</summary>
    public MatrixSpan<double> Span => new(Data, Rows, Columns);

    /// <summary>The matrix as a read-only strided view.</summary>
    public ReadOnlyMatrixSpan<double> ReadOnlySpan => new(Data, Rows, Columns);

    /// <summary>Row <paramref name="i"/> as a span.</summary>
    public Span<double> Row(int i) => Data.AsSpan(i * Columns, Columns);

    /// <summary>The shape as text, "(rows, columns)".</summary>
    public string ShapeText => $"({Rows}, {Columns})";

    /// <summary>The n×n identity.</summary>
    public static DenseMatrix Identity(int n)
    {
        var m = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++) m[i, i] = 1;
        return m;
    }

    /// <summary>Copies a two-dimensional array.</summary>
    public static DenseMatrix FromArray(double[,] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        int rows = values.GetLength(0), columns = values.GetLength(1);
        var m = new DenseMatrix(rows, columns);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++)
                m.Data[i * columns + j] = values[i, j];
        return m;
    }

    /// <summary>Copies a vector of length n into an n×1 matrix.</summary>
    public static DenseMatrix Column(ReadOnlySpan<double> values) => new(values.Length, 1, values.ToArray());

    /// <summary>A copy as a two-dimensional array.</summary>
    public double[,] ToArray()
    {
        var a = new double[Rows, Columns];
        for (int i = 0; i < Rows; i++)
            for (int j = 0; j < Columns; j++)
                a[i, j] = Data[i * Columns + j];
        return a;
    }

    /// <summary>A deep copy.</summary>
    public DenseMatrix Clone() => new(Rows, Columns, (double[])Data.Clone());

    /// <summary>The transpose, copied (by the kernels' strided copy, in cache-sized tiles, on the calling thread).</summary>
    public DenseMatrix Transpose()
    {
        var t = new DenseMatrix(Columns, Rows);
        // Element (i, j) of A goes to t[j·Rows + i]: the destination strides of A's shape are (1, Rows).
        StridedCopy.Copy<double>(Data, 0, [Columns, 1], t.Data, 0, [1, Rows], [Rows, Columns], Parallelism.Sequential);
        return t;
    }

    /// <summary>The product op(A)·op(B) through the GEMM.</summary>
    /// <exception cref="MatrixShapeException">When the inner dimensions differ.</exception>
    public static DenseMatrix Multiply(DenseMatrix a, DenseMatrix b, MatrixOp opA = MatrixOp.None, MatrixOp opB = MatrixOp.None, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int m = opA == MatrixOp.None ? a.Rows : a.Columns, k = opA == MatrixOp.None ? a.Columns : a.Rows;
        int kb = opB == MatrixOp.None ? b.Rows : b.Columns, n = opB == MatrixOp.None ? b.Columns : b.Rows;
        if (k != kb)
            throw new MatrixShapeException($"Cannot multiply op(A) of shape ({m}, {k}) by op(B) of shape ({kb}, {n}): the inner dimensions differ.");
        var c = new DenseMatrix(m, n);
        Gemm.Multiply(1.0, a.ReadOnlySpan, opA, b.ReadOnlySpan, opB, 0.0, c.Span, parallelism);
        return c;
    }

    /// <summary>The Frobenius norm √Σ aᵢⱼ².</summary>
    public double FrobeniusNorm() => Dense.Norm2(Data);

    /// <summary>The columns [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>), copied.</summary>
    public DenseMatrix SliceColumns(int start, int count)
    {
        var r = new DenseMatrix(Rows, count);
        for (int i = 0; i < Rows; i++) Data.AsSpan(i * Columns + start, count).CopyTo(r.Row(i));
        return r;
    }

    /// <summary>The rows [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>), copied.</summary>
    public DenseMatrix SliceRows(int start, int count) => new(count, Columns, Data.AsSpan(start * Columns, count * Columns).ToArray());
}
