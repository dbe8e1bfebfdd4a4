using System.Buffers;
using System.Numerics.Tensors;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
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
    public static (int N, int D, int T) Check(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight) => Check(x, y, sampleWeight, checkX: true);

    /// <summary>
    /// Checks the inputs: (n, d, t). Without <paramref name="checkX"/> X's values are left to the caller (the streamed
    /// normal equations check them on the way, at no extra pass over X).
    /// </summary>
    public static (int N, int D, int T) Check(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight, bool checkX)
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
        if (checkX) LearnInput.FiniteByChunks(LearnInput.ElementSpan(x), d, "X");
        LearnInput.FiniteByChunks(LearnInput.ElementSpan(y), t, "y");
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

    /// <summary>
    /// Checks the inputs and builds the reduced problem (X̃ and Ỹ materialized). <paramref name="check"/> false skips the
    /// finite-value checks (for a caller that has already made them on the same inputs); shapes are always checked.
    /// </summary>
    public static RidgeProblem Prepare(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight, bool fitIntercept, bool check = true)
    {
        var (n, d, t) = check ? Check(x, y, sampleWeight) : (x.Dim(0), x.Dim(1), y.Rank == 1 ? 1 : y.Dim(1));
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

    /// <summary>The streamed normal equations sum their row blocks in this many lanes (fewer when there are fewer blocks).</summary>
    private const int Lanes = 4;

    /// <summary>About this many bytes of X are centred and rescaled at a time by NormalEquations.</summary>
    private const int BlockBytes = 4 << 20;

    /// <summary>
    /// The normal-equation statistics of the reduced problem without materializing X̃: the lower triangle of X̃ᵀX̃ (d×d),
    /// X̃ᵀỸ (d×t), X̄ and Ȳ. X is read in place; blocks of rows of [X̃ Ỹ] are centred and rescaled into one small buffer
    /// and accumulated by SYRK. Exactly the sums of <see cref="Prepare"/>'s X̃, in a different order; no n×d copy is made
    /// (fresh memory is the slow part of a large fit).
    /// </summary>
    public static (DenseMatrix GramLower, DenseMatrix Xty, double[] XOffset, double[] YOffset) NormalEquations(
        MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight, bool fitIntercept, Parallelism parallelism, int? blockRows = null)
    {
        var (_, d, t) = Check(x, y, sampleWeight, checkX: false);
        var gram = new DenseMatrix(d, d);
        var xty = new DenseMatrix(d, t);
        var (xOffset, yOffset) = NormalEquations(x, y, sampleWeight, fitIntercept, gram.Data, xty.Data, parallelism, blockRows);
        return (gram, xty, xOffset, yOffset);
    }

    /// <summary>
    /// <see cref="NormalEquations(MtlTensor{double}, MtlTensor{double}, double[], bool, Parallelism, int?)"/> into the
    /// caller's storage (scratch from a pool, say): the lower triangle of X̃ᵀX̃ into <paramref name="gram"/> (d×d
    /// row-major; the strict upper triangle is left holding partial sums) and X̃ᵀỸ into <paramref name="xty"/> (d×t
    /// row-major); returns X̄ and Ȳ. The inputs must have passed <see cref="Check(MtlTensor{double}, MtlTensor{double}, double[], bool)"/>
    /// (X's values may be left unchecked: they are checked here, by the sums of the mean pass when there is one, since
    /// a sum that meets ±∞ or NaN is not finite; only then, or on overflow, is X searched for the value to report).
    /// <code>
    /// [X̃ Ỹ]ᵀ[X̃ Ỹ] = [ X̃ᵀX̃  ·  ]  = Σ_lanes Σ_blocks [B Y_B]ᵀ[B Y_B]
    ///               [ ỸᵀX̃  ỸᵀỸ ]
    /// </code>
    /// one SYRK per block of rows (recursive halving: the off-diagonal halves are GEMMs, only small diagonal blocks are
    /// computed whole) gives X̃ᵀX̃ and X̃ᵀỸ together, X read and packed once (a separate thin GEMM for X̃ᵀỸ would pack
    /// all of X again for t columns of work).
    /// The row blocks are split into <see cref="Lanes"/> lanes of consecutive blocks whatever the thread count; each lane
    /// sums its blocks into its own scratch, the lanes are shared out among the threads, and the lane sums are added in
    /// lane order: one fork-join per pass (the means, the blocks) instead of one per GEMM, and the same bits for any
    /// thread count. More lanes than two threads let one thread take over lanes while the other is held up (the machines
    /// are shared).
    /// </summary>
    public static (double[] XOffset, double[] YOffset) NormalEquations(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight,
        bool fitIntercept, double[] gram, double[] xty, Parallelism parallelism, int? blockRows = null)
    {
        int n = x.Dim(0), d = x.Dim(1), t = y.Rank == 1 ? 1 : y.Dim(1);
        var (xs, xStart) = LearnInput.Elements(x);
        var (ys, yStart) = LearnInput.Elements(y);
        int w = d + t; // the columns of [X̃ Ỹ]
        int rows = Math.Min(n, blockRows ?? Math.Max(64, BlockBytes / (8 * Math.Max(w, 1))));
        int blocks = (n + rows - 1) / rows;
        int lanes = Math.Min(Lanes, blocks);
        int laneBlocks = (blocks + lanes - 1) / lanes;
        var inner = new Parallelism(Math.Max(1, parallelism.Degree / lanes));
        int LaneStart(int lane) => Math.Min(n, lane * laneBlocks * rows);
        void RunLanes(Action<int> lane)
        {
            if (lanes == 1 || parallelism.IsSequential)
                for (int l = 0; l < lanes; l++) lane(l);
            else
                Parallel.For(0, lanes, new ParallelOptions { MaxDegreeOfParallelism = Math.Min(lanes, parallelism.Degree) }, lane);
        }

        var xOffset = new double[d];
        var yOffset = new double[t];
        if (fitIntercept)
        {
            // X̄ = Σ sᵢxᵢ / Σ sᵢ, Ȳ likewise: each lane sums its rows, the lane sums are added in lane order.
            var xSums = new double[lanes][];
            var ySums = new double[lanes][];
            var totals = new double[lanes];
            RunLanes(lane =>
            {
                var xSum = xSums[lane] = new double[d];
                var ySum = ySums[lane] = new double[t];
                double total = 0;
                for (int i = LaneStart(lane); i < LaneStart(lane + 1); i++)
                {
                    double s = sampleWeight?[i] ?? 1.0;
                    total += s;
                    Dense.Axpy(s, xs.AsSpan(xStart + i * d, d), xSum);
                    Dense.Axpy(s, ys.AsSpan(yStart + i * t, t), ySum);
                }
                totals[lane] = total;
            });
            double sum = 0;
            for (int lane = 0; lane < lanes; lane++)
            {
                sum += totals[lane];
                TensorPrimitives.Add(xOffset, xSums[lane], xOffset);
                TensorPrimitives.Add(yOffset, ySums[lane], yOffset);
            }
            // 0·NaN, 0·∞ and ∞ − ∞ are NaN: a non-finite value anywhere in X leaves a non-finite sum.
            if (!IsFinite(xOffset)) LearnInput.FiniteByChunks(xs.AsSpan(xStart, n * d), d, "X");
            if (sum == 0)
                throw new LearnInputException("The sample weights sum to zero; at least one sample needs a positive weight.");
            Dense.Scale(1 / sum, xOffset);
            Dense.Scale(1 / sum, yOffset);
        }
        else
        {
            LearnInput.FiniteByChunks(xs.AsSpan(xStart, n * d), d, "X");
        }
        var laneGram = new PooledMatrix[lanes];
        try
        {
            for (int lane = 0; lane < lanes; lane++)
                laneGram[lane] = new PooledMatrix(w, w, clear: false); // the lane's first block writes it with β = 0
            void Lane(int lane)
            {
                int first = LaneStart(lane), end = LaneStart(lane + 1);
                var block = ArrayPool<double>.Shared.Rent(Math.Max(rows * w, 1));
                try
                {
                    var g = laneGram[lane].Span;
                    for (int i0 = first; i0 < end; i0 += rows)
                    {
                        int m = Math.Min(rows, end - i0);
                        CentreAndRescale(xs.AsSpan(xStart + i0 * d, m * d), ys.AsSpan(yStart + i0 * t, m * t), i0, m, d, t,
                            xOffset, yOffset, sampleWeight, block);
                        var b = new ReadOnlyMatrixSpan<double>(block, 0, m, w, w, 1);
                        LinearAlgebra.Syrk.Update(1.0, b, i0 == first ? 0.0 : 1.0, g, OtherTriangle.Clobbered, inner);   // G += BᵀB
                    }
                }
                finally
                {
                    ArrayPool<double>.Shared.Return(block);
                }
            }
            RunLanes(Lane);
            // The lane sums, added in lane order: X̃ᵀX̃ from the leading d×d block, X̃ᵀỸ from the transpose of the block below it.
            for (int lane = 0; lane < lanes; lane++)
            {
                var g = laneGram[lane].Data;
                for (int i = 0; i < d; i++)
                {
                    var source = g.AsSpan(i * w, i + 1);
                    var target = gram.AsSpan(i * d, i + 1);
                    if (lane == 0) source.CopyTo(target);
                    else TensorPrimitives.Add(target, source, target);
                    for (int k = 0; k < t; k++)
                        xty[i * t + k] = lane == 0 ? g[(d + k) * w + i] : xty[i * t + k] + g[(d + k) * w + i];
                }
            }
        }
        finally
        {
            foreach (var scratch in laneGram) scratch?.Dispose();
        }
        return (xOffset, yOffset);
    }

    private static bool IsFinite(ReadOnlySpan<double> values)
    {
        foreach (double v in values)
            if (!double.IsFinite(v)) return false;
        return true;
    }

    // [B Y_B] = √s·([X_rows Y_rows] − [X̄ Ȳ]) for the m rows starting at sample `first`, row-major with d + t columns.
    private static void CentreAndRescale(ReadOnlySpan<double> xRows, ReadOnlySpan<double> yRows, int first, int m, int d, int t,
        double[] xOffset, double[] yOffset, double[]? sampleWeight, double[] block)
    {
        for (int r = 0; r < m; r++)
        {
            double root = sampleWeight is null ? 1.0 : Math.Sqrt(sampleWeight[first + r]);
            var xOut = block.AsSpan(r * (d + t), d);
            var yOut = block.AsSpan(r * (d + t) + d, t);
            TensorPrimitives.Subtract(xRows.Slice(r * d, d), xOffset, xOut);
            TensorPrimitives.Subtract(yRows.Slice(r * t, t), yOffset, yOut);
            if (root != 1.0)
            {
                TensorPrimitives.Multiply(xOut, root, xOut);
                TensorPrimitives.Multiply(yOut, root, yOut);
            }
        }
    }

    /// <summary>
    /// The Gram matrix XᵀX (d×d, both triangles) by the symmetric rank-k update: only the lower triangle is computed
    /// (about half the flops of a GEMM), then mirrored. <paramref name="lowerOnly"/> skips the mirror (enough for Cholesky).
    /// </summary>
    public static DenseMatrix Gram(DenseMatrix x, Parallelism parallelism, bool lowerOnly = false)
    {
        var g = new DenseMatrix(x.Columns, x.Columns);
        LinearAlgebra.Syrk.Update(1.0, x.ReadOnlySpan, 0.0, g.Span, lowerOnly ? OtherTriangle.Kept : OtherTriangle.Mirrored, parallelism);
        return g;
    }

    /// <summary>The kernel matrix X·Xᵀ (n×n, both triangles unless <paramref name="lowerOnly"/>), by SYRK.</summary>
    public static DenseMatrix Kernel(DenseMatrix x, Parallelism parallelism, bool lowerOnly = false)
    {
        var k = new DenseMatrix(x.Rows, x.Rows);
        LinearAlgebra.Syrk.Update(1.0, x.ReadOnlySpan.Transposed(), 0.0, k.Span, lowerOnly ? OtherTriangle.Kept : OtherTriangle.Mirrored, parallelism);
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
