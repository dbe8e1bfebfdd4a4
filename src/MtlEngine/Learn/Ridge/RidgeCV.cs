using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// Ridge with α chosen by efficient leave-one-out cross-validation over a grid, as scikit-learn's <c>RidgeCV</c> with
/// cv=None and scoring=None (its <c>_RidgeGCV</c>): the score of an α is minus the mean squared leave-one-out error, and
/// every α of the grid costs O(n·r·t) after ONE factorization, not n refits.
/// <para>
/// For a linear smoother ŷ = H·y the leave-one-out residual is eᵢ = rᵢ / (1 − Hᵢᵢ), r = y − H·y. With X̃ the centred,
/// √s-rescaled X = Σ_k σ_k·u_k·v_kᵀ (thin SVD; u_k, σ_k² from one eigendecomposition of X̃ᵀX̃ when n &gt; d, or of X̃·X̃ᵀ when
/// n ≤ d) and q = √s/‖√s‖ the direction of the intercept (orthogonal to X̃'s columns after weighted centring):
/// <code>
/// H(α) = Σ_k u_k·u_kᵀ·σ_k²/(σ_k² + α) + q·qᵀ         (q·qᵀ only with an intercept: it is not penalized)
/// 1 − Hᵢᵢ = 1 − Σ_k U_ik²·σ_k²/(σ_k² + α) − qᵢ²
/// r = ỹ − U·diag(σ²/(σ² + α))·Uᵀỹ                       (ỹ centred: qᵀỹ = 0)
/// </code>
/// which is scikit-learn's c / diag(G⁻¹) with G = X̃X̃ᵀ + αI (its rᵢ/(1 − Hᵢᵢ) = cᵢ/G⁻¹ᵢᵢ since I − H = α·G⁻¹ on the
/// penalized part). The errors are those of the rescaled problem (√sᵢ times the original ones), as scikit-learn's.
/// The best α (the first of equal scores, in grid order) is chosen for all targets at once, or per target with
/// <paramref name="AlphaPerTarget"/>; then the model is refitted with <see cref="Ridge"/> at that α.
/// </para>
/// </summary>
/// <param name="Alphas">The grid of α, each &gt; 0 (scikit-learn's default is 0.1, 1, 10).</param>
/// <param name="FitIntercept">Fit an unpenalized intercept (default true).</param>
/// <param name="AlphaPerTarget">Choose α per target (default false: one α for all targets, by the mean over targets).</param>
/// <param name="Solver">The solver of the final refit (default <see cref="RidgeSolver.Auto"/>).</param>
/// <param name="Parallelism">Threads for the GEMM and the factorizations.</param>
public sealed record RidgeCV(
    double[] Alphas,
    bool FitIntercept = true,
    bool AlphaPerTarget = false,
    RidgeSolver Solver = RidgeSolver.Auto,
    Parallelism Parallelism = default)
{
    /// <summary>scikit-learn's default grid.</summary>
    public static double[] DefaultAlphas => [0.1, 1.0, 10.0];

    /// <summary>Scores every α of the grid by leave-one-out error, picks the best, refits.</summary>
    /// <param name="x">X of shape (n_samples, n_features).</param>
    /// <param name="y">Y of shape (n_samples,) or (n_samples, n_targets).</param>
    /// <param name="sampleWeight">sᵢ ≥ 0, length n_samples, or null for all ones.</param>
    /// <exception cref="LearnInputException">When the grid is empty or has an α ≤ 0, or for the inputs <see cref="Ridge.Fit"/> refuses.</exception>
    public RidgeCVModel Fit(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight = null)
    {
        CheckGrid();
        var problem = RidgeProblem.Prepare(x, y, sampleWeight, FitIntercept);
        var errors = LeaveOneOutErrors(problem, Alphas, FitIntercept, Parallelism, out var mode); // (n_alphas, t)
        var (bestAlpha, bestScore) = Choose(errors, problem.Targets);
        var refit = new Ridge(Alphas: bestAlpha, FitIntercept: FitIntercept, Solver: Solver, Parallelism: Parallelism).Fit(x, y, sampleWeight);
        return new RidgeCVModel(this, refit, bestScore, errors, mode);
    }

    /// <summary>
    /// K-fold cross-validation from per-fold statistics (the rows are not needed): fold k is held out, the model is fitted on
    /// the merge of the other folds, and its held-out squared error is computed from fold k's own moments,
    /// <code>
    /// Σ_{i∈k} sᵢ·(yᵢⱼ − b_j − w_jᵀxᵢ)² = r_jᵀ·M_k·r_j + W_k·(r_jᵀ·μ_k − b_j)²      r_j = [−w_j; e_j]  (over z = [x y])
    /// </code>
    /// exactly (M_k, μ_k, W_k the fold's centred scatter, mean and weight). One eigendecomposition of each training scatter
    /// X̃ᵀX̃ = Q·Λ·Qᵀ serves the whole grid: w_j(α) = Q·diag(1/(λ + α))·Qᵀ·X̃ᵀỹ_j. The score of an α is minus the weighted mean
    /// squared held-out error pooled over all rows, Σ_k Σ_{i∈k} sᵢ·eᵢ² / Σ sᵢ (the mean over folds when they are of equal
    /// weight). Efficient leave-one-out (<see cref="Fit"/>) needs each row's leverage, which statistics do not keep: this is
    /// what RidgeCV means from statistics. The best α (per target with <see cref="AlphaPerTarget"/>) is refitted on the merge
    /// of all folds.
    /// </summary>
    /// <param name="folds">The statistics of each fold (at least two, the same shape), for example one per shard or file.</param>
    /// <exception cref="LearnInputException">When there are fewer than two folds, a fold has no weight, the shapes differ, or the grid is invalid.</exception>
    public RidgeCVModel FitFolds(IReadOnlyList<RidgeStatistics> folds)
    {
        ArgumentNullException.ThrowIfNull(folds);
        CheckGrid();
        if (folds.Count < 2)
            throw new LearnInputException($"K-fold cross-validation needs at least two folds, but got {folds.Count}.");
        var total = FitStatistics.MergeAll(folds);   // checks that the shapes agree
        int d = total.Features, t = total.Targets;
        var errors = new DenseMatrix(Alphas.Length, t);
        for (int k = 0; k < folds.Count; k++)
        {
            var held = folds[k].Moments;
            if (held.WeightSum == 0)
                throw new LearnInputException($"Fold {k} has no samples (or zero total weight); every fold must hold some rows.");
            var train = FitStatistics.MergeAll(folds.Where((_, j) => j != k));
            if (train.WeightSum == 0)
                throw new LearnInputException($"The folds other than fold {k} hold no weight; every training set needs rows.");
            var (gram, xty, xOffset, yOffset) = train.NormalEquations(FitIntercept);
            var eigen = SymmetricEigen.Compute(gram, computeVectors: true, Parallelism);
            var q = eigen.Vectors!;
            var qtb = DenseMatrix.Multiply(q, xty, MatrixOp.Transpose, MatrixOp.None, Parallelism); // (d, t)
            var scaled = new DenseMatrix(d, t);
            for (int a = 0; a < Alphas.Length; a++)
            {
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < t; j++) scaled[i, j] = qtb[i, j] / (Math.Max(eigen.Values[i], 0) + Alphas[a]);
                var w = DenseMatrix.Multiply(scaled, q, MatrixOp.Transpose, MatrixOp.Transpose, Parallelism); // (t, d)
                var b = FitIntercept ? RidgeProblem.Intercept(w, xOffset, yOffset) : new double[t];
                for (int j = 0; j < t; j++) errors[a, j] += HeldOutSquaredError(held, d, j, w.Row(j), b[j]);
            }
        }
        Dense.Scale(1 / total.WeightSum, errors.Data);
        var (bestAlpha, bestScore) = Choose(errors, t);
        var refit = total.Fit(new Ridge(Alphas: bestAlpha, FitIntercept: FitIntercept, Solver: Solver, Parallelism: Parallelism));
        return new RidgeCVModel(this, refit, bestScore, errors, RidgeCVMode.KFold);
    }

    // Σ sᵢ·(yᵢⱼ − b − wᵀxᵢ)² over a fold = rᵀ·M·r + W·(rᵀμ − b)², r = [−w; e_j]: rᵀMr = wᵀM_xx·w − 2·wᵀM_xy_j + M_yy_jj.
    private static double HeldOutSquaredError(CenteredMoments fold, int d, int target, ReadOnlySpan<double> w, double b)
    {
        var m = fold.Scatter;
        int columns = fold.Columns, yj = d + target;
        double quadratic = m[yj * columns + yj];
        for (int i = 0; i < d; i++)
        {
            quadratic -= 2 * w[i] * m[yj * columns + i];   // M[y_j, x_i], lower triangle (y after x)
            double row = m[i * columns + i] * w[i];
            for (int j = 0; j < i; j++) row += 2 * m[i * columns + j] * w[j];
            quadratic += w[i] * row;
        }
        double meanResidual = fold.Mean[yj] - b - Dense.Dot(w, fold.Mean.AsSpan(0, d));
        return quadratic + fold.WeightSum * meanResidual * meanResidual;
    }

    private void CheckGrid()
    {
        if (Alphas is null || Alphas.Length == 0)
            throw new LearnInputException("RidgeCV needs at least one α in Alphas (for example 0.1, 1, 10).");
        foreach (double a in Alphas)
            if (!(a > 0) || double.IsInfinity(a))
                throw new LearnInputException($"RidgeCV's α must be finite and > 0 (leave-one-out needs a penalty), but the grid has {a}.");
    }

    /// <summary>The best α per target and the best score(s) from the errors of the grid (rows) and targets (columns).</summary>
    private (double[] BestAlpha, double[] BestScore) Choose(DenseMatrix errors, int t)
    {
        // Best α: the largest score −MSE, the first in grid order among equals (scikit-learn updates on a strict '>').
        double[] bestAlpha, bestScore;
        if (AlphaPerTarget && t > 1)
        {
            bestAlpha = new double[t];
            bestScore = new double[t];
            for (int j = 0; j < t; j++)
            {
                int best = 0;
                for (int a = 1; a < Alphas.Length; a++)
                    if (-errors[a, j] > -errors[best, j]) best = a;
                bestAlpha[j] = Alphas[best];
                bestScore[j] = -errors[best, j];
            }
        }
        else
        {
            int best = 0;
            double bestMean = double.NegativeInfinity;
            for (int a = 0; a < Alphas.Length; a++)
            {
                double score = -Enumerable.Range(0, t).Average(j => errors[a, j]);
                if (a == 0 || score > bestMean) { best = a; bestMean = score; }
            }
            bestAlpha = Enumerable.Repeat(Alphas[best], t).ToArray();
            bestScore = [bestMean];
        }
        return (bestAlpha, bestScore);
    }

    /// <summary>
    /// The mean squared leave-one-out error of each α (rows) and target (columns) on the reduced problem, from one
    /// eigendecomposition: of X̃ᵀX̃ (d×d) when n &gt; d, of X̃·X̃ᵀ (n×n) otherwise.
    /// </summary>
    internal static DenseMatrix LeaveOneOutErrors(RidgeProblem problem, double[] alphas, bool fitIntercept, Parallelism parallelism, out RidgeCVMode mode)
    {
        var x = problem.X;
        var y = problem.Y;
        int n = x.Rows, d = x.Columns, t = y.Columns;
        DenseMatrix u;      // (n, r): left singular vectors of X̃
        double[] lambda;    // σ²
        if (n > d)
        {
            // X̃ᵀX̃ = V·Λ·Vᵀ  ⇒  U = X̃·V·Λ^(−1/2) for λ above the rounding level (the others contribute σ²/(σ²+α) ≈ 0).
            mode = RidgeCVMode.Covariance;
            var eigen = SymmetricEigen.Compute(RidgeProblem.Gram(x, parallelism), computeVectors: true, parallelism);
            double cutoff = d * MachineEpsilon.Double * Math.Max(eigen.Values.Length == 0 ? 0 : eigen.Values.Max(), 0);
            var kept = Enumerable.Range(0, d).Where(k => eigen.Values[k] > cutoff).ToArray();
            var v = new DenseMatrix(d, kept.Length);
            lambda = new double[kept.Length];
            for (int c = 0; c < kept.Length; c++)
            {
                lambda[c] = eigen.Values[kept[c]];
                double inverseSigma = 1 / Math.Sqrt(lambda[c]);
                for (int f = 0; f < d; f++) v[f, c] = eigen.Vectors![f, kept[c]] * inverseSigma;
            }
            u = DenseMatrix.Multiply(x, v, MatrixOp.None, MatrixOp.None, parallelism);
        }
        else
        {
            // X̃·X̃ᵀ = Q·Λ·Qᵀ: U = Q (its λ = 0 columns, the intercept's among them, contribute nothing).
            mode = RidgeCVMode.Gram;
            var eigen = SymmetricEigen.Compute(RidgeProblem.Kernel(x, parallelism), computeVectors: true, parallelism);
            u = eigen.Vectors!;
            lambda = [.. eigen.Values.Select(l => Math.Max(l, 0))];
        }
        int r = lambda.Length;
        var uty = DenseMatrix.Multiply(u, y, MatrixOp.Transpose, MatrixOp.None, parallelism); // (r, t)
        var uSquared = new DenseMatrix(n, r);
        for (int i = 0; i < u.Data.Length; i++) uSquared.Data[i] = u.Data[i] * u.Data[i];
        // qᵢ² = sᵢ / Σ s (1/n without weights), only with an intercept.
        var qSquared = new double[n];
        if (fitIntercept)
        {
            var root = problem.SqrtWeights;
            double total = root is null ? n : root.Sum(s => s * s);
            for (int i = 0; i < n; i++) qSquared[i] = (root is null ? 1 : root[i] * root[i]) / total;
        }

        var errors = new DenseMatrix(alphas.Length, t);
        var shrink = new double[r];
        var scaled = new DenseMatrix(r, t);
        var fitted = new DenseMatrix(n, t);
        var diagonal = new double[n];
        for (int a = 0; a < alphas.Length; a++)
        {
            for (int k = 0; k < r; k++) shrink[k] = lambda[k] / (lambda[k] + alphas[a]);
            // 1 − Hᵢᵢ = 1 − Σ_k U_ik²·f_k − qᵢ²
            var h = DenseMatrix.Multiply(uSquared, DenseMatrix.Column(shrink), MatrixOp.None, MatrixOp.None, parallelism);
            for (int i = 0; i < n; i++) diagonal[i] = 1 - h.Data[i] - qSquared[i];
            // r = ỹ − U·diag(f)·Uᵀỹ
            for (int k = 0; k < r; k++)
                for (int j = 0; j < t; j++) scaled[k, j] = shrink[k] * uty[k, j];
            Gemm.Multiply(1.0, u.ReadOnlySpan, scaled.ReadOnlySpan, 0.0, fitted.Span, parallelism);
            for (int j = 0; j < t; j++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                {
                    double e = (y[i, j] - fitted[i, j]) / diagonal[i];
                    sum += e * e;
                }
                errors[a, j] = sum / n;
            }
        }
        return errors;
    }
}

/// <summary>Which decomposition the leave-one-out of <see cref="RidgeCV"/> used.</summary>
public enum RidgeCVMode
{
    /// <summary>The eigendecomposition of X̃ᵀX̃ (d×d), when there are more samples than features (scikit-learn's gcv_mode "svd").</summary>
    Covariance,
    /// <summary>The eigendecomposition of X̃·X̃ᵀ (n×n), when there are at least as many features as samples (gcv_mode "eigen").</summary>
    Gram,
    /// <summary>K-fold cross-validation from per-fold statistics (<see cref="RidgeCV.FitFolds"/>): one eigendecomposition of each training scatter X̃ᵀX̃.</summary>
    KFold,
}

/// <summary>A fitted <see cref="RidgeCV"/>: the grid's leave-one-out errors, the chosen α and the refitted <see cref="RidgeModel"/>.</summary>
public sealed class RidgeCVModel
{
    private readonly double[] _bestScore;
    private readonly DenseMatrix _errors;

    internal RidgeCVModel(RidgeCV options, RidgeModel model, double[] bestScore, DenseMatrix errors, RidgeCVMode mode)
    {
        Options = options;
        Model = model;
        _bestScore = bestScore;
        _errors = errors;
        Mode = mode;
    }

    /// <summary>The options it was fitted with.</summary>
    public RidgeCV Options { get; }

    /// <summary>The ridge model refitted at the chosen α (save it with <see cref="RidgeModel.Save"/>).</summary>
    public RidgeModel Model { get; }

    /// <summary>The decomposition the leave-one-out used.</summary>
    public RidgeCVMode Mode { get; }

    /// <summary>The chosen α per target, length n_targets (scikit-learn's alpha_, which is one number unless alpha_per_target).</summary>
    public double[] Alpha => Model.Alphas;

    /// <summary>
    /// The best score, minus the mean squared leave-one-out error (scikit-learn's best_score_): one value per target with
    /// <see cref="RidgeCV.AlphaPerTarget"/> (and more than one target), else one value (the mean over targets).
    /// </summary>
    public double[] BestScore => (double[])_bestScore.Clone();

    /// <summary>The mean squared error of each α of the grid (rows) and target (columns), shape (n_alphas, n_targets): leave-one-out, or held-out K-fold for <see cref="RidgeCVMode.KFold"/>.</summary>
    public MtlTensor<double> MeanSquaredErrors => _errors.ToTensor();

    /// <summary>W of the refitted model, shape (n_targets, n_features).</summary>
    public MtlTensor<double> Coefficients => Model.Coefficients;

    /// <summary>b of the refitted model.</summary>
    public double[] Intercept => Model.Intercept;

    /// <summary>Predictions of the refitted model (see <see cref="RidgeModel.Predict"/>).</summary>
    public MtlTensor<double> Predict(MtlTensor<double> x) => Model.Predict(x);
}
