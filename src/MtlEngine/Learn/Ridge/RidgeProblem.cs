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

    /// <summary>Checks the inputs (shapes, finite values, weights) and builds the reduced problem.</summary>
    public static RidgeProblem Prepare(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight, bool fitIntercept)
    {
        var (n, d, xv) = LearnInput.Matrix(x, "X");
        var (ny, t, yv) = LearnInput.Targets(y, "y");
        if (ny != n)
            throw new LearnInputException($"X has {n} rows but y has {ny}; pass one target row per sample.");
        LearnInput.NotEmpty(n, "X");
        LearnInput.Finite(xv, d, "X");
        LearnInput.Finite(yv, t, "y");
        if (sampleWeight is not null)
        {
            if (sampleWeight.Length != n)
                throw new LearnInputException($"sampleWeight has length {sampleWeight.Length} but X has {n} rows; pass one weight per sample.");
            for (int i = 0; i < n; i++)
                if (!(sampleWeight[i] >= 0) || double.IsInfinity(sampleWeight[i]))
                    throw new LearnInputException($"sampleWeight[{i}] is {sampleWeight[i]}; sample weights must be finite and ≥ 0.");
        }

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
    public double[] Intercept(DenseMatrix w)
    {
        var b = new double[w.Rows];
        for (int j = 0; j < w.Rows; j++) b[j] = YOffset[j] - Dense.Dot(XOffset, w.Row(j));
        return b;
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
