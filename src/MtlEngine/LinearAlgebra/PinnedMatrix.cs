using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// A matrix view whose storage the caller has pinned (inside a <c>fixed</c> block), kept as an address and a layout so
/// that work run on other threads (a <see cref="WorkerTeam"/> share) can rebuild the view: a span cannot be captured by
/// a lambda. Valid only while the storage stays pinned.
/// Its one reason to exist among the matrix types: a <see cref="MatrixSpan{T}"/> that can cross into a worker's
/// lambda. Use it only there; everywhere else pass the span itself.
/// </summary>
internal readonly unsafe struct PinnedMatrix<T> where T : unmanaged
{
    private readonly nint _address;
    private readonly int _length, _offset, _rows, _columns, _rowStride, _columnStride;

    /// <summary>Records <paramref name="view"/>, whose data starts at the pinned <paramref name="data"/>.</summary>
    public PinnedMatrix(T* data, MatrixSpan<T> view)
    {
        _address = (nint)data;
        _length = view.Data.Length;
        _offset = view.Offset;
        _rows = view.Rows;
        _columns = view.Columns;
        _rowStride = view.RowStride;
        _columnStride = view.ColumnStride;
    }

    /// <summary>The view again.</summary>
    public MatrixSpan<T> View => new(new Span<T>((T*)_address, _length), _offset, _rows, _columns, _rowStride, _columnStride);
}
