using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn.Sparse;

/// <summary>
/// A sparse matrix in compressed sparse row (CSR) form, as SciPy's <c>csr_matrix</c>: row i holds the entries
/// <c>Values[k]</c> at columns <c>Indices[k]</c> for k in [<c>IndPtr[i]</c>, <c>IndPtr[i+1]</c>). Column indices within a row
/// are strictly increasing (canonical form: no duplicates), so two equal matrices have equal arrays.
/// Immutable after construction; the products below are the kernels the estimators need on text features
/// (X·B, Xᵀ·B, X·v), each with a dense textbook twin in the tests (<see cref="ToDense"/> and the GEMM).
/// </summary>
public sealed class CsrMatrix
{
    private readonly int[] _indPtr;
    private readonly int[] _indices;
    private readonly double[] _values;

    /// <summary>
    /// Wraps the three CSR arrays (no copy) after checking them: <paramref name="indPtr"/> has rows + 1 non-decreasing
    /// entries from 0 to nnz, every column index is in [0, columns) and strictly increasing within its row.
    /// </summary>
    /// <exception cref="ArgumentException">When the arrays do not describe a canonical CSR matrix; the message says where.</exception>
    public CsrMatrix(int rows, int columns, int[] indPtr, int[] indices, double[] values)
    {
        ArgumentNullException.ThrowIfNull(indPtr);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        if (indPtr.Length != rows + 1)
            throw new ArgumentException($"A CSR matrix with {rows} rows needs indPtr of length {rows + 1}, not {indPtr.Length}.", nameof(indPtr));
        if (indices.Length != values.Length)
            throw new ArgumentException($"indices ({indices.Length}) and values ({values.Length}) must have the same length (the number of stored entries).", nameof(values));
        if (indPtr[0] != 0 || indPtr[rows] != values.Length)
            throw new ArgumentException($"indPtr must start at 0 and end at the number of stored entries ({values.Length}); it runs from {indPtr[0]} to {indPtr[rows]}.", nameof(indPtr));
        for (int i = 0; i < rows; i++)
        {
            if (indPtr[i + 1] < indPtr[i])
                throw new ArgumentException($"indPtr decreases at row {i} ({indPtr[i]} then {indPtr[i + 1]}).", nameof(indPtr));
            for (int k = indPtr[i]; k < indPtr[i + 1]; k++)
            {
                if ((uint)indices[k] >= (uint)columns)
                    throw new ArgumentException($"Row {i} has column index {indices[k]}, outside [0, {columns}).", nameof(indices));
                if (k > indPtr[i] && indices[k] <= indices[k - 1])
                    throw new ArgumentException($"Row {i}'s column indices are not strictly increasing ({indices[k - 1]} then {indices[k]}); sum duplicates and sort first.", nameof(indices));
            }
        }
        Rows = rows;
        Columns = columns;
        _indPtr = indPtr;
        _indices = indices;
        _values = values;
    }

    /// <summary>The number of rows (samples).</summary>
    public int Rows { get; }

    /// <summary>The number of columns (features).</summary>
    public int Columns { get; }

    /// <summary>The number of stored entries.</summary>
    public int NonZeros => _values.Length;

    /// <summary>Row pointers, length <see cref="Rows"/> + 1.</summary>
    public ReadOnlySpan<int> IndPtr => _indPtr;

    /// <summary>Column index of each stored entry.</summary>
    public ReadOnlySpan<int> Indices => _indices;

    /// <summary>Value of each stored entry.</summary>
    public ReadOnlySpan<double> Values => _values;

    /// <summary>"(rows, columns)".</summary>
    public string ShapeText => $"({Rows}, {Columns})";

    /// <summary>The column indices of row <paramref name="i"/>.</summary>
    public ReadOnlySpan<int> RowIndices(int i) => _indices.AsSpan(_indPtr[i], _indPtr[i + 1] - _indPtr[i]);

    /// <summary>The values of row <paramref name="i"/>.</summary>
    public ReadOnlySpan<double> RowValues(int i) => _values.AsSpan(_indPtr[i], _indPtr[i + 1] - _indPtr[i]);

    /// <summary>The CSR form of a dense row-major matrix; exact zeros are not stored.</summary>
    public static CsrMatrix FromDense(DenseMatrix dense)
    {
        ArgumentNullException.ThrowIfNull(dense);
        var indPtr = new int[dense.Rows + 1];
        var indices = new List<int>();
        var values = new List<double>();
        for (int i = 0; i < dense.Rows; i++)
        {
            var row = dense.Row(i);
            for (int j = 0; j < row.Length; j++)
            {
                if (row[j] == 0) continue;
                indices.Add(j);
                values.Add(row[j]);
            }
            indPtr[i + 1] = values.Count;
        }
        return new CsrMatrix(dense.Rows, dense.Columns, indPtr, [.. indices], [.. values]);
    }

    /// <summary>The CSR form of a rank-2 float64 tensor; exact zeros are not stored.</summary>
    public static CsrMatrix FromDense(MtlTensor<double> dense) => FromDense(DenseMatrix.FromTensor(dense));

    /// <summary>The dense row-major matrix (the textbook twin of every product here).</summary>
    public DenseMatrix ToDense()
    {
        var dense = new DenseMatrix(Rows, Columns);
        for (int i = 0; i < Rows; i++)
            for (int k = _indPtr[i]; k < _indPtr[i + 1]; k++)
                dense[i, _indices[k]] = _values[k];
        return dense;
    }

    /// <summary>The rows <paramref name="rows"/> in that order (repeats allowed), e.g. a cross-validation fold.</summary>
    public CsrMatrix SelectRows(ReadOnlySpan<int> rows)
    {
        var indPtr = new int[rows.Length + 1];
        for (int r = 0; r < rows.Length; r++)
        {
            if ((uint)rows[r] >= (uint)Rows)
                throw new ArgumentOutOfRangeException(nameof(rows), $"Row index {rows[r]} is out of range for {Rows} rows.");
            indPtr[r + 1] = indPtr[r] + _indPtr[rows[r] + 1] - _indPtr[rows[r]];
        }
        var indices = new int[indPtr[rows.Length]];
        var values = new double[indices.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            RowIndices(rows[r]).CopyTo(indices.AsSpan(indPtr[r]));
            RowValues(rows[r]).CopyTo(values.AsSpan(indPtr[r]));
        }
        return new CsrMatrix(rows.Length, Columns, indPtr, indices, values);
    }

    /// <summary>
    /// C = X·B for dense B of shape (columns, k): row i of C is Σₖ X[i, j]·B[j, :] over the stored entries of row i
    /// (an axpy per entry, SIMD over B's row). Rows are split over threads in fixed contiguous ranges, so the result
    /// does not depend on the thread count.
    /// </summary>
    public DenseMatrix Multiply(DenseMatrix b, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Rows != Columns)
            throw new MatrixShapeException($"X·B needs B with {Columns} rows (X is {ShapeText}) but B is {b.ShapeText}.");
        var c = new DenseMatrix(Rows, b.Columns);
        ForRowRanges(Rows, parallelism ?? TensorParallelism.Current, (start, end) =>
        {
            for (int i = start; i < end; i++)
            {
                var ci = c.Row(i);
                for (int k = _indPtr[i]; k < _indPtr[i + 1]; k++)
                    Dense.Axpy(_values[k], b.Row(_indices[k]), ci);
            }
        });
        return c;
    }

    /// <summary>
    /// C = Xᵀ·B for dense B of shape (rows, k): C[j, :] += X[i, j]·B[i, :]. Serial over rows (scatter into C), so the
    /// summation order is fixed.
    /// </summary>
    public DenseMatrix TransposeMultiply(DenseMatrix b)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Rows != Rows)
            throw new MatrixShapeException($"Xᵀ·B needs B with {Rows} rows (X is {ShapeText}) but B is {b.ShapeText}.");
        var c = new DenseMatrix(Columns, b.Columns);
        for (int i = 0; i < Rows; i++)
        {
            var bi = b.Row(i);
            for (int k = _indPtr[i]; k < _indPtr[i + 1]; k++)
                Dense.Axpy(_values[k], bi, c.Row(_indices[k]));
        }
        return c;
    }

    /// <summary>y = X·v.</summary>
    public double[] Multiply(ReadOnlySpan<double> v)
    {
        if (v.Length != Columns)
            throw new MatrixShapeException($"X·v needs v of length {Columns} (X is {ShapeText}) but v has {v.Length}.");
        var y = new double[Rows];
        for (int i = 0; i < Rows; i++)
        {
            double s = 0;
            for (int k = _indPtr[i]; k < _indPtr[i + 1]; k++) s += _values[k] * v[_indices[k]];
            y[i] = s;
        }
        return y;
    }

    /// <summary>y = Xᵀ·v.</summary>
    public double[] TransposeMultiply(ReadOnlySpan<double> v)
    {
        if (v.Length != Rows)
            throw new MatrixShapeException($"Xᵀ·v needs v of length {Rows} (X is {ShapeText}) but v has {v.Length}.");
        var y = new double[Columns];
        for (int i = 0; i < Rows; i++)
            for (int k = _indPtr[i]; k < _indPtr[i + 1]; k++) y[_indices[k]] += _values[k] * v[i];
        return y;
    }

    /// <summary>A copy with every row scaled to unit Euclidean norm (rows of zeros stay zero), as sklearn's normalize(norm='l2').</summary>
    public CsrMatrix NormalizeRows()
    {
        var values = (double[])_values.Clone();
        for (int i = 0; i < Rows; i++)
        {
            var row = values.AsSpan(_indPtr[i], _indPtr[i + 1] - _indPtr[i]);
            double norm = Math.Sqrt(Dense.Dot(row, row));
            if (norm > 0)
                for (int k = 0; k < row.Length; k++) row[k] /= norm;
        }
        return new CsrMatrix(Rows, Columns, _indPtr, _indices, values);
    }

    private static void ForRowRanges(int rows, Parallelism parallelism, Action<int, int> body)
    {
        int threads = Math.Clamp(parallelism.Degree, 1, Math.Max(rows / ParallelThresholds.SparseRowsPerThread, 1));
        if (threads == 1)
        {
            body(0, rows);
            return;
        }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            body((int)((long)rows * t / threads), (int)((long)rows * (t + 1) / threads)));
    }
}
