using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Gemm;

/// <summary>
/// A writable m×n matrix inside a span: element (i, j) is <c>Data[Offset + i·RowStride + j·ColumnStride]</c>.
/// Row-major, column-major, transposed and strided views (every other row, a sub-block) are all just
/// different strides, so GEMM never needs a copy to read them. Strides may be zero or negative.
/// Its one reason to exist among the matrix types: the kernels' operand, a non-owning strided view of any memory
/// (a tensor's storage, a DenseMatrix's array, pooled scratch), so the kernels know nothing of the owning types.
/// Kernels take it; nothing keeps it (a ref struct: on the stack only).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly ref struct MatrixSpan<T>
{
    /// <summary>Creates a view and checks that every element it reaches lies inside <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">When a size is negative or the view reaches outside the span.</exception>
    public MatrixSpan(Span<T> data, int offset, int rows, int columns, int rowStride, int columnStride)
    {
        MatrixSpanChecks.Check(data.Length, offset, rows, columns, rowStride, columnStride);
        Data = data;
        Offset = offset;
        Rows = rows;
        Columns = columns;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    /// <summary>A contiguous row-major <paramref name="rows"/>×<paramref name="columns"/> matrix at the start of <paramref name="data"/>.</summary>
    public MatrixSpan(Span<T> data, int rows, int columns) : this(data, 0, rows, columns, columns, 1) { }

    /// <summary>The span the matrix lives in.</summary>
    public Span<T> Data { get; }

    /// <summary>The index in <see cref="Data"/> of element (0, 0).</summary>
    public int Offset { get; }

    /// <summary>The number of rows (m).</summary>
    public int Rows { get; }

    /// <summary>The number of columns (n).</summary>
    public int Columns { get; }

    /// <summary>The step in elements from row i to row i + 1.</summary>
    public int RowStride { get; }

    /// <summary>The step in elements from column j to column j + 1.</summary>
    public int ColumnStride { get; }

    /// <summary>Element (i, j). Indices are not checked beyond the span's own bounds check.</summary>
    public ref T this[int i, int j] => ref Data[Offset + i * RowStride + j * ColumnStride];

    /// <summary>The transpose as a view (rows and columns, and their strides, swapped; nothing copied).</summary>
    public MatrixSpan<T> Transposed() => new(Data, Offset, Columns, Rows, ColumnStride, RowStride);

    /// <summary>The same view, read-only.</summary>
    public ReadOnlyMatrixSpan<T> AsReadOnly() => new(Data, Offset, Rows, Columns, RowStride, ColumnStride);

    /// <summary>The same view, read-only.</summary>
    public static implicit operator ReadOnlyMatrixSpan<T>(MatrixSpan<T> matrix) => matrix.AsReadOnly();
}

/// <summary>
/// A read-only m×n matrix inside a span: element (i, j) is <c>Data[Offset + i·RowStride + j·ColumnStride]</c>.
/// See <see cref="MatrixSpan{T}"/>; the same view for inputs a kernel only reads (a read-only span, or a writable
/// matrix passed as an input).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public readonly ref struct ReadOnlyMatrixSpan<T>
{
    /// <summary>Creates a view and checks that every element it reaches lies inside <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">When a size is negative or the view reaches outside the span.</exception>
    public ReadOnlyMatrixSpan(ReadOnlySpan<T> data, int offset, int rows, int columns, int rowStride, int columnStride)
    {
        MatrixSpanChecks.Check(data.Length, offset, rows, columns, rowStride, columnStride);
        Data = data;
        Offset = offset;
        Rows = rows;
        Columns = columns;
        RowStride = rowStride;
        ColumnStride = columnStride;
    }

    /// <summary>A contiguous row-major <paramref name="rows"/>×<paramref name="columns"/> matrix at the start of <paramref name="data"/>.</summary>
    public ReadOnlyMatrixSpan(ReadOnlySpan<T> data, int rows, int columns) : this(data, 0, rows, columns, columns, 1) { }

    /// <summary>The span the matrix lives in.</summary>
    public ReadOnlySpan<T> Data { get; }

    /// <summary>The index in <see cref="Data"/> of element (0, 0).</summary>
    public int Offset { get; }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>The number of columns.</summary>
    public int Columns { get; }

    /// <summary>The step in elements from row i to row i + 1.</summary>
    public int RowStride { get; }

    /// <summary>The step in elements from column j to column j + 1.</summary>
    public int ColumnStride { get; }

    /// <summary>Element (i, j).</summary>
    public T this[int i, int j] => Data[Offset + i * RowStride + j * ColumnStride];

    /// <summary>The transpose as a view (nothing copied).</summary>
    public ReadOnlyMatrixSpan<T> Transposed() => new(Data, Offset, Columns, Rows, ColumnStride, RowStride);
}

internal static class MatrixSpanChecks
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(int length, int offset, int rows, int columns, int rowStride, int columnStride)
    {
        if (rows < 0 || columns < 0)
            throw new ArgumentException($"A matrix view cannot have a negative size ({rows}×{columns}).");
        if (rows == 0 || columns == 0) return;
        long lowest = offset, highest = offset;
        long rowReach = (long)(rows - 1) * rowStride, columnReach = (long)(columns - 1) * columnStride;
        if (rowReach < 0) lowest += rowReach; else highest += rowReach;
        if (columnReach < 0) lowest += columnReach; else highest += columnReach;
        if (lowest < 0 || highest >= length)
            throw new ArgumentException(
                $"A {rows}×{columns} matrix view with offset {offset} and strides ({rowStride}, {columnStride}) reaches elements [{lowest}, {highest}] outside a span of {length} elements; fix the offset, strides or span.");
    }
}
