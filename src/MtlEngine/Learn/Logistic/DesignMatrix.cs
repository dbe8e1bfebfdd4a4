using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Learn.Sparse;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Learn;

/// <summary>
/// The design matrix X (n_samples, n_features) of a linear classifier, dense or CSR, reduced to the two products a
/// smooth linear-model loss needs: the linear predictor Z = X·Wᵀ and the gradient product Gᵀ·X, for W of shape
/// (k, n_features) and G of shape (n_samples, k), all row-major.
/// </summary>
internal abstract class DesignMatrix
{
    public abstract int Rows { get; }

    public abstract int Columns { get; }

    /// <summary>Z (n, k) = X·Wᵀ for W (k, d).</summary>
    public abstract void TimesTransposed(ReadOnlySpan<double> w, int k, Span<double> z, Parallelism parallelism);

    /// <summary>R (k, d) = Gᵀ·X for G (n, k).</summary>
    public abstract void TransposedTimes(ReadOnlySpan<double> g, int k, Span<double> result, Parallelism parallelism);

    /// <summary>Row-major dense X: element (i, j) at <c>values[offset + i·columns + j]</c> (read in place, not copied).</summary>
    public static DesignMatrix Dense(int rows, int columns, double[] values, int offset = 0) => new DenseDesign(rows, columns, values, offset);

    public static DesignMatrix Sparse(CsrMatrix x) => new CsrDesign(x);

    /// <summary>Row-major dense X: both products are one GEMM.</summary>
    private sealed class DenseDesign(int rows, int columns, double[] values, int offset) : DesignMatrix
    {
        public override int Rows => rows;

        public override int Columns => columns;

        public override void TimesTransposed(ReadOnlySpan<double> w, int k, Span<double> z, Parallelism parallelism) =>
            MatrixProduct.Multiply(1.0, new ReadOnlyMatrixSpan<double>(values, offset, rows, columns, columns, 1), MatrixOp.None,
                new ReadOnlyMatrixSpan<double>(w, k, columns), MatrixOp.Transpose, 0.0, new MatrixSpan<double>(z, rows, k), parallelism);

        public override void TransposedTimes(ReadOnlySpan<double> g, int k, Span<double> result, Parallelism parallelism) =>
            MatrixProduct.Multiply(1.0, new ReadOnlyMatrixSpan<double>(g, rows, k), MatrixOp.Transpose,
                new ReadOnlyMatrixSpan<double>(values, offset, rows, columns, columns, 1), MatrixOp.None, 0.0, new MatrixSpan<double>(result, k, columns), parallelism);
    }

    /// <summary>CSR X: Z = X·(Wᵀ) row by row over the stored entries, Gᵀ·X = (Xᵀ·G)ᵀ by scattering rows.</summary>
    private sealed class CsrDesign(CsrMatrix x) : DesignMatrix
    {
        public override int Rows => x.Rows;

        public override int Columns => x.Columns;

        public override void TimesTransposed(ReadOnlySpan<double> w, int k, Span<double> z, Parallelism parallelism)
        {
            int d = x.Columns;
            var wt = new DenseMatrix(d, k);
            for (int c = 0; c < k; c++)
                for (int j = 0; j < d; j++) wt[j, c] = w[c * d + j];
            x.Multiply(wt, parallelism).Data.CopyTo(z);
        }

        public override void TransposedTimes(ReadOnlySpan<double> g, int k, Span<double> result, Parallelism parallelism)
        {
            int d = x.Columns;
            var xtg = x.TransposeMultiply(new DenseMatrix(x.Rows, k, g.ToArray())); // (d, k)
            for (int c = 0; c < k; c++)
                for (int j = 0; j < d; j++) result[c * d + j] = xtg[j, c];
        }
    }
}
