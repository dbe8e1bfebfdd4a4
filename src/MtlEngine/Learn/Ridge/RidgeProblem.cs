using System.Buffers;
using System.Numerics.Tensors;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using Syrk = MtlEngine.Kernels.Gemm.Syrk;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// A ridge problem reduced to one without intercept and without weights, as scikit-learn's <c>_preprocess_data</c> and
/// <c>_rescale_data</c>: with an intercept, X and Y are centred with the sample-weighted means
/// (X̄ = Σ sᵢxᵢ / Σ sᵢ), and the rows of X and Y are multiplied by √sᵢ, because Σ sᵢ·rᵢ² = Σ (√sᵢ·rᵢ)².
/// The intercept of the original problem is then b = Ȳ − X̄·Wᵀ. Shared by <see cref="Ridge"/> and RidgeCV.
/// </summary>
internal sealed class RidgeProblem
{
    private RidgeProblem(DenseMatrix x, DenseMatrix y, double[] xOffset, double[] yOffset, double[]? sqrtWeights)
    {
        X = x;
        Y = y;
        XOffset = xOffset;
        YOffset = yOffset;
        SqrtWeights = sqrtWeights;
    }

    /// <summary>The centred, √s-rescaled X (n, d).</summary>
    public DenseMatrix X { get; }

    /// <summary>The centred, √s-rescaled Y (n, t).</summary>
    public DenseMatrix Y { get; }

    /// <summary>X̄ (zeros without an intercept).</summary>
    public double[] XOffset { get; }

    /// <summary>Ȳ (zeros without an intercept).</summary>
    public double[] YOffset { get; }

    /// <summary>√sᵢ, or null when there are no sample weights.</summary>
    public double[]? SqrtWeights { get; }

    /// <summary>The number of targets.</summary>
    public int Targets => Y.Columns;

    /// <summary>Checks the inputs (shapes, finite values, weights): (n, d, t).</summary>
    public static (int N, int D, int T) Check(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank != 2)
            throw new LearnInputException($"X must be of shape (n_samples, n_features), but has shape {MtlTensor<double>.ShapeText(x.Shape)}; reshape a single feature to (n, 1).");
        if (y.Rank is not (1 or 2))
            throw new LearnInputException($"y must be of shape (n_samples,) or (n_samples, n_targets), but has shape {MtlTensor<double>.ShapeText(y.Shape)}.");
        int n = x.Dim(0), d = x.Dim(1), ny = y.Dim(0), t = y.Rank == 1 ? 1 : y.Dim(1);
        if (ny != n)
            throw new LearnInputException($"X has {n} rows but y has {ny}; pass one target row per sample.");
        LearnInput.NotEmpty(n, "X");
        LearnInput.FiniteByChunks(View(x), d, "X");
        LearnInput.FiniteByChunks(View(y), t, "y");
        if (sampleWeight is not null)
        {
            if (sampleWeight.Length != n)
                throw new LearnInputException($"sampleWeight has length {sampleWeight.Length} but X has {n} rows; pass one weight per sample.");
            for (int i = 0; i < n; i++)
                if (!(sampleWeight[i] >= 0) || double.IsInfinity(sampleWeight[i]))
                    throw new LearnInputException($"sampleWeight[{i}] is {sampleWeight[i]}; sample weights must be finite and ≥ 0.");
        }
        return (n, d, t);
    }

    /// <summary>The elements in row-major order: the tensor's own memory when it is contiguous (no copy), else a copy.</summary>
    public static ReadOnlySpan<double> View(MtlTensor<double> a) => a.IsContiguous ? a.AsSpan() : a.ToArray();

    /// <summary>Checks the inputs and builds the reduced problem (X̃ and Ỹ materialized).</summary>
    public static RidgeProblem Prepare(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight, bool fitIntercept)
    {
        var (n, d, t) = Check(x, y, sampleWeight);
        var xv = x.ToArray();
        var yv = y.ToArray();
        var xm = new DenseMatrix(n, d, xv);
        var ym = new DenseMatrix(n, t, yv);
        var xOffset = new double[d];
        var yOffset = new double[t];
        if (fitIntercept)
        {
            WeightedMean(xm, sampleWeight, xOffset);
            WeightedMean(ym, sampleWeight, yOffset);
            Subtract(xm, xOffset);
            Subtract(ym, yOffset);
        }
        double[]? root = null;
        if (sampleWeight is not null)
        {
            root = new double[n];
            for (int i = 0; i < n; i++)
            {
                root[i] = Math.Sqrt(sampleWeight[i]);
                Dense.Scale(root[i], xm.Row(i));
                Dense.Scale(root[i], ym.Row(i));
            }
        }
        return new RidgeProblem(xm, ym, xOffset, yOffset, root);
    }

    /// <summary>b = Ȳ − X̄·Wᵀ for W (t, d).</summary>
    public double[] Intercept(DenseMatrix w) => Intercept(w, XOffset, YOffset);

    /// <summary>b = Ȳ − X̄·Wᵀ for W (t, d).</summary>
    public static double[] Intercept(DenseMatrix w, double[] xOffset, double[] yOffset)
    {
        var b = new double[w.Rows];
        for (int j = 0; j < w.Rows; j++) b[j] = yOffset[j] - Dense.Dot(xOffset, w.Row(j));
        return b;
    }

    /// <summary>About this many bytes of X are centred and rescaled at a time by NormalEquations.</summary>
    private const int BlockBytes = 4 << 20;

    /// <summary>
    /// The normal-equation statistics of the reduced problem without materializing X̃: the lower triangle of X̃ᵀX̃ (d×d),
    /// X̃ᵀỸ (d×t), X̄ and Ȳ. X is read in place; blocks of rows are centred and rescaled into one small buffer and
    /// accumulated, X̃ᵀX̃ += BᵀB by SYRK and X̃ᵀỸ += BᵀY_B by GEMM. Exactly the sums of <see cref="Prepare"/>'s X̃, in a
    /// different order; no n×d copy is made (fresh memory is the slow part of a large fit).
    /// </summary>
    public static (DenseMatrix GramLower, DenseMatrix Xty, double[] XOffset, double[] YOffset) NormalEquations(
        MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight, bool fitIntercept, Parallelism parallelism, int? blockRows = null)
    {
        var (_, d, t) = Check(x, y, sampleWeight);
        var gram = new DenseMatrix(d, d);
        var xty = new DenseMatrix(d, t);
        var (xOffset, yOffset) = NormalEquations(x, y, sampleWeight, fitIntercept, gram.Span, xty.Span, parallelism, blockRows);
        return (gram, xty, xOffset, yOffset);
    }

    /// <summary>
    /// <see cref="NormalEquations(MtlTensor{double}, MtlTensor{double}, double[], bool, Parallelism, int?)"/> into the
    /// caller's storage (scratch from a pool, say): the lower triangle of X̃ᵀX̃ into <paramref name="gram"/> (d×d; its
    /// strict upper triangle is left holding partial sums) and X̃ᵀỸ into <paramref name="xty"/> (d×t); returns X̄ and Ȳ.
    /// The inputs must have passed <see cref="Check"/>. The block buffers come from the shared array pool.
    /// <code>
    /// X̃ᵀX̃ = Σ_blocks BᵀB    (SYRK by recursive halving: the off-diagonal halves are GEMMs, only small diagonal blocks are computed whole)
    /// X̃ᵀỸ = Σ_blocks BᵀY_B  (as (Y_BᵀB)ᵀ: the thin Y_B is the packed operand, B is read along its rows)
    /// </code>
    /// </summary>
    public static (double[] XOffset, double[] YOffset) NormalEquations(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight,
        bool fitIntercept, MatrixSpan<double> gram, MatrixSpan<double> xty, Parallelism parallelism, int? blockRows = null)
    {
        int n = x.Dim(0), d = x.Dim(1), t = y.Rank == 1 ? 1 : y.Dim(1);
        var xs = View(x);
        var ys = View(y);
        var xOffset = new double[d];
        var yOffset = new double[t];
        if (fitIntercept)
        {
            double total = 0;
            for (int i = 0; i < n; i++)
            {
                double s = sampleWeight?[i] ?? 1.0;
                total += s;
                Dense.Axpy(s, xs.Slice(i * d, d), xOffset);
                Dense.Axpy(s, ys.Slice(i * t, t), yOffset);
            }
            if (total == 0)
                throw new LearnInputException("The sample weights sum to zero; at least one sample needs a positive weight.");
            Dense.Scale(1 / total, xOffset);
            Dense.Scale(1 / total, yOffset);
        }
        int rows = Math.Min(n, blockRows ?? Math.Max(64, BlockBytes / (8 * Math.Max(d, 1))));
        var xBlock = ArrayPool<double>.Shared.Rent(Math.Max(rows * d, 1));
        var yBlock = ArrayPool<double>.Shared.Rent(Math.Max(rows * t, 1));
        try
        {
            // X̃ᵀỸ (d×t) written as its transpose Ỹᵀ·X̃ (t×d) through a column-major view of the same storage.
            var xtyTransposed = new MatrixSpan<double>(xty.Data, xty.Offset, t, d, xty.ColumnStride, xty.RowStride);
            for (int i0 = 0; i0 < n; i0 += rows)
            {
                int m = Math.Min(rows, n - i0);
                for (int r = 0; r < m; r++)
                {
                    int i = i0 + r;
                    double root = sampleWeight is null ? 1.0 : Math.Sqrt(sampleWeight[i]);
                    var xRow = xs.Slice(i * d, d);
                    var yRow = ys.Slice(i * t, t);
                    var xOut = xBlock.AsSpan(r * d, d);
                    var yOut = yBlock.AsSpan(r * t, t);
                    TensorPrimitives.Subtract(xRow, xOffset, xOut);
                    TensorPrimitives.Subtract(yRow, yOffset, yOut);
                    if (root != 1.0)
                    {
                        TensorPrimitives.Multiply(xOut, root, xOut);
                        TensorPrimitives.Multiply(yOut, root, yOut);
                    }
                }
                var b = new ReadOnlyMatrixSpan<double>(xBlock, 0, m, d, d, 1);
                var yb = new ReadOnlyMatrixSpan<double>(yBlock, 0, m, t, t, 1);
                double beta = i0 == 0 ? 0.0 : 1.0;
                LinearAlgebra.Syrk.Lower(1.0, b.Transposed(), beta, gram, parallelism);
                Gemm.Multiply(1.0, yb.Transposed(), b, beta, xtyTransposed, parallelism);
            }
        }
        finally
        {
            ArrayPool<double>.Shared.Return(xBlock);
            ArrayPool<double>.Shared.Return(yBlock);
        }
        return (xOffset, yOffset);
    }

    /// <summary>
    /// The Gram matrix XᵀX (d×d, both triangles) by the symmetric rank-k update: only the lower triangle is computed
    /// (about half the flops of a GEMM), then mirrored. <paramref name="lowerOnly"/> skips the mirror (enough for Cholesky).
    /// </summary>
    public static DenseMatrix Gram(DenseMatrix x, Parallelism parallelism, bool lowerOnly = false)
    {
        var g = new DenseMatrix(x.Columns, x.Columns);
        Syrk.Update(1.0, x.ReadOnlySpan, 0.0, g.Span, Triangle.Lower, mirror: !lowerOnly, parallelism);
        return g;
    }

    /// <summary>The kernel matrix X·Xᵀ (n×n, both triangles unless <paramref name="lowerOnly"/>), by SYRK.</summary>
    public static DenseMatrix Kernel(DenseMatrix x, Parallelism parallelism, bool lowerOnly = false)
    {
        var k = new DenseMatrix(x.Rows, x.Rows);
        Syrk.Update(1.0, x.ReadOnlySpan.Transposed(), 0.0, k.Span, Triangle.Lower, mirror: !lowerOnly, parallelism);
        return k;
    }

    private static void WeightedMean(DenseMatrix a, double[]? weights, double[] mean)
    {
        double total = 0;
        for (int i = 0; i < a.Rows; i++)
        {
            double s = weights?[i] ?? 1.0;
            total += s;
            Dense.Axpy(s, a.Row(i), mean);
        }
        if (total == 0)
            throw new LearnInputException("The sample weights sum to zero; at least one sample needs a positive weight.");
        Dense.Scale(1 / total, mean);
    }

    private static void Subtract(DenseMatrix a, double[] offset)
    {
        for (int i = 0; i < a.Rows; i++) Dense.Axpy(-1, offset, a.Row(i));
    }
}
