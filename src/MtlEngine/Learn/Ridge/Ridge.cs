using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>The linear-algebra route a <see cref="Ridge"/> fit takes.</summary>
public enum RidgeSolver
{
    /// <summary>Let the fit choose: <see cref="Cholesky"/> (as scikit-learn's "auto" for dense input), falling back to <see cref="Svd"/>.</summary>
    Auto,
    /// <summary>Cholesky of XᵀX + αI (or of X·Xᵀ + αI when there are more features than samples); SVD if it is not positive definite.</summary>
    Cholesky,
    /// <summary>The thin SVD of X: the most stable route, also for α = 0 and rank-deficient X (minimum-norm solution).</summary>
    Svd,
    /// <summary>The symmetric eigendecomposition of XᵀX (one factorization serves every α).</summary>
    Eigen,
    /// <summary>Conjugate gradients on (XᵀX + αI)·w = Xᵀy per target, XᵀX applied as two products and never formed.</summary>
    ConjugateGradient,
}

/// <summary>
/// Ridge regression with many targets at once, as scikit-learn's <c>Ridge</c>: for each target j (column of Y),
/// <code>
/// w_j = argmin_w  Σᵢ sᵢ·(yᵢⱼ − b_j − xᵢᵀw)² + α_j·‖w‖²       (sᵢ the sample weights, b_j the unpenalized intercept)
/// </code>
/// With an intercept, X and Y are first centred with the sample-weighted means (X̄ = Σ sᵢxᵢ / Σ sᵢ), the rows of the centred
/// X and Y are multiplied by √sᵢ, the penalized least-squares problem is solved, and b = Ȳ − X̄·Wᵀ. Stacking tasks as targets
/// is the shared-design case of multi-task learning: one factorization of X serves every target.
/// The options record is the estimator: <c>new Ridge(Alpha: 10).Fit(x, y)</c>.
/// </summary>
/// <param name="Alpha">α, the L2 penalty for every target (default 1, as scikit-learn); must be ≥ 0.</param>
/// <param name="Alphas">One α per target, overriding <paramref name="Alpha"/> (length n_targets), or null.</param>
/// <param name="FitIntercept">Fit an unpenalized intercept (default true).</param>
/// <param name="Solver">The solver (default <see cref="RidgeSolver.Auto"/>).</param>
/// <param name="Tolerance">Conjugate gradients stop at ‖r‖ ≤ Tolerance·‖Xᵀy‖ (default 1e-10; scikit-learn's default tol is 1e-4).</param>
/// <param name="MaxIterations">The conjugate-gradient iteration limit per target (default 10·n_features).</param>
/// <param name="Parallelism">Threads for the GEMM and the factorizations.</param>
public sealed record Ridge(
    double Alpha = 1.0,
    double[]? Alphas = null,
    bool FitIntercept = true,
    RidgeSolver Solver = RidgeSolver.Auto,
    double Tolerance = 1e-10,
    int? MaxIterations = null,
    Parallelism Parallelism = default)
{
    /// <summary>Fits W (n_targets, n_features) and b (n_targets).</summary>
    /// <param name="x">X of shape (n_samples, n_features).</param>
    /// <param name="y">Y of shape (n_samples,) or (n_samples, n_targets).</param>
    /// <param name="sampleWeight">sᵢ ≥ 0, length n_samples, or null for all ones.</param>
    /// <exception cref="LearnInputException">When shapes disagree, a value is not finite, an α or weight is negative.</exception>
    public RidgeModel Fit(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight = null)
    {
        var (n, d, xv) = LearnInput.Matrix(x, "X");
        var (ny, t, yv) = LearnInput.Targets(y, "y");
        if (ny != n)
            throw new LearnInputException($"X has {n} rows but y has {ny}; pass one target row per sample.");
        LearnInput.NotEmpty(n, "X");
        LearnInput.Finite(xv, d, "X");
        LearnInput.Finite(yv, t, "y");
        var alphas = TargetAlphas(t);
        if (sampleWeight is not null)
        {
            if (sampleWeight.Length != n)
                throw new LearnInputException($"sampleWeight has length {sampleWeight.Length} but X has {n} rows; pass one weight per sample.");
            if (sampleWeight.Any(w => !(w >= 0) || double.IsInfinity(w)))
                throw new LearnInputException("sampleWeight must be finite and ≥ 0.");
        }

        var xm = new DenseMatrix(n, d, xv);
        var ym = new DenseMatrix(n, t, yv);
        var xOffset = new double[d];
        var yOffset = new double[t];
        if (FitIntercept)
        {
            WeightedMean(xm, sampleWeight, xOffset);
            WeightedMean(ym, sampleWeight, yOffset);
            Subtract(xm, xOffset);
            Subtract(ym, yOffset);
        }
        if (sampleWeight is not null)
        {
            // Σ sᵢ·rᵢ² = Σ (√sᵢ·rᵢ)²: rescale the rows.
            for (int i = 0; i < n; i++)
            {
                double root = Math.Sqrt(sampleWeight[i]);
                Dense.Scale(root, xm.Row(i));
                Dense.Scale(root, ym.Row(i));
            }
        }

        var requested = Solver;
        var solver = Solver == RidgeSolver.Auto ? RidgeSolver.Cholesky : Solver;
        string? fallback = null;
        int[]? iterations = null;
        bool converged = true;
        DenseMatrix w; // (n_targets, n_features)
        switch (solver)
        {
            case RidgeSolver.Cholesky:
                try
                {
                    w = SolveCholesky(xm, ym, alphas, Parallelism);
                }
                catch (NotPositiveDefiniteException e)
                {
                    fallback = $"Cholesky failed ({e.Message}); solved by SVD instead.";
                    solver = RidgeSolver.Svd;
                    w = SolveSvd(xm, ym, alphas, Parallelism);
                }
                break;
            case RidgeSolver.Svd:
                w = SolveSvd(xm, ym, alphas, Parallelism);
                break;
            case RidgeSolver.Eigen:
                w = SolveEigen(xm, ym, alphas, Parallelism);
                break;
            case RidgeSolver.ConjugateGradient:
                (w, iterations, converged) = SolveConjugateGradient(xm, ym, alphas, Tolerance, MaxIterations, Parallelism);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Solver), Solver, "Unknown ridge solver.");
        }

        // b = Ȳ − X̄·Wᵀ
        var intercept = new double[t];
        if (FitIntercept)
            for (int j = 0; j < t; j++) intercept[j] = yOffset[j] - Dense.Dot(xOffset, w.Row(j));
        var report = new RidgeFitReport(requested, solver, fallback, iterations, converged);
        return new RidgeModel(this, w, intercept, y.Rank == 1, report);
    }

    private double[] TargetAlphas(int targets)
    {
        var alphas = Alphas ?? Enumerable.Repeat(Alpha, targets).ToArray();
        if (alphas.Length != targets)
            throw new LearnInputException($"Alphas has {alphas.Length} values but y has {targets} targets; pass one α per target, or a single Alpha.");
        foreach (double a in alphas)
            if (!(a >= 0) || double.IsInfinity(a))
                throw new LearnInputException($"α must be finite and ≥ 0, but got {a}.");
        return alphas;
    }

    // W = (XᵀX + αI)⁻¹·XᵀY, one Cholesky factorization per distinct α (n ≥ d);
    // W = Xᵀ·(X·Xᵀ + αI)⁻¹·Y, the kernel (dual) form, when there are more features than samples (d > n).
    private static DenseMatrix SolveCholesky(DenseMatrix x, DenseMatrix y, double[] alphas, Parallelism parallelism)
    {
        int d = x.Columns, t = y.Columns;
        bool dual = d > x.Rows;
        var gram = dual
            ? DenseMatrix.Multiply(x, x, MatrixOp.None, MatrixOp.Transpose, parallelism)   // X·Xᵀ (n×n)
            : DenseMatrix.Multiply(x, x, MatrixOp.Transpose, MatrixOp.None, parallelism);  // XᵀX (d×d)
        var rhs = dual ? y : DenseMatrix.Multiply(x, y, MatrixOp.Transpose, MatrixOp.None, parallelism); // Y or XᵀY
        var w = new DenseMatrix(t, d);
        foreach (var group in Enumerable.Range(0, t).GroupBy(j => alphas[j]))
        {
            var a = gram.Clone();
            for (int i = 0; i < a.Rows; i++) a[i, i] += group.Key;
            var chol = LinearAlgebra.Cholesky.Factor(a, parallelism);
            var targets = group.ToArray();
            var b = new DenseMatrix(rhs.Rows, targets.Length);
            for (int i = 0; i < rhs.Rows; i++)
                for (int k = 0; k < targets.Length; k++) b[i, k] = rhs[i, targets[k]];
            var solution = chol.Solve(b);
            if (dual) solution = DenseMatrix.Multiply(x, solution, MatrixOp.Transpose, MatrixOp.None, parallelism); // Xᵀ·dual
            for (int k = 0; k < targets.Length; k++)
                for (int f = 0; f < d; f++) w[targets[k], f] = solution[f, k];
        }
        return w;
    }

    // X = U·Σ·Vᵀ  ⇒  w_j = V·diag(σ / (σ² + α_j))·Uᵀy_j   (σ ≤ 1e-15 contribute nothing, as scikit-learn)
    // Columns of X that are exactly zero (a constant feature after centring) get w = 0 in every solution, so they are
    // left out of the SVD: exact, and it keeps the Jacobi SVD away from exactly-zero columns, on which it does not converge.
    private static DenseMatrix SolveSvd(DenseMatrix x, DenseMatrix y, double[] alphas, Parallelism parallelism)
    {
        var kept = Enumerable.Range(0, x.Columns).Where(j => Enumerable.Range(0, x.Rows).Any(i => x[i, j] != 0)).ToArray();
        if (kept.Length < x.Columns)
        {
            var reduced = new DenseMatrix(x.Rows, kept.Length);
            for (int i = 0; i < x.Rows; i++)
                for (int k = 0; k < kept.Length; k++) reduced[i, k] = x[i, kept[k]];
            var wReduced = kept.Length == 0 ? new DenseMatrix(y.Columns, 0) : SolveSvd(reduced, y, alphas, parallelism);
            var w = new DenseMatrix(y.Columns, x.Columns);
            for (int j = 0; j < y.Columns; j++)
                for (int k = 0; k < kept.Length; k++) w[j, kept[k]] = wReduced[j, k];
            return w;
        }
        var svd = LinearAlgebra.Svd.Compute(x, parallelism);
        var sigma = svd.SingularValues;
        var uty = DenseMatrix.Multiply(svd.U, y, MatrixOp.Transpose, MatrixOp.None, parallelism); // (k, t)
        for (int i = 0; i < sigma.Length; i++)
            for (int j = 0; j < y.Columns; j++)
                uty[i, j] *= sigma[i] > 1e-15 ? sigma[i] / (sigma[i] * sigma[i] + alphas[j]) : 0;
        return DenseMatrix.Multiply(uty, svd.V, MatrixOp.Transpose, MatrixOp.Transpose, parallelism); // (t, d) = (V·D·UᵀY)ᵀ
    }

    // XᵀX = Q·Λ·Qᵀ  ⇒  w_j = Q·diag(1 / (λ + α_j))·Qᵀ·Xᵀy_j   (λ + α below d·ε·λ_max contribute nothing: the pseudo-inverse)
    private static DenseMatrix SolveEigen(DenseMatrix x, DenseMatrix y, double[] alphas, Parallelism parallelism)
    {
        var gram = DenseMatrix.Multiply(x, x, MatrixOp.Transpose, MatrixOp.None, parallelism);
        var eigen = SymmetricEigen.Compute(gram, computeVectors: true, parallelism);
        var q = eigen.Vectors!;
        var lambda = eigen.Values;
        double cutoff = gram.Rows * 2.220446049250313e-16 * Math.Max(lambda.Max(Math.Abs), 0);
        var xty = DenseMatrix.Multiply(x, y, MatrixOp.Transpose, MatrixOp.None, parallelism);       // (d, t)
        var qtb = DenseMatrix.Multiply(q, xty, MatrixOp.Transpose, MatrixOp.None, parallelism);     // (d, t)
        for (int i = 0; i < lambda.Length; i++)
            for (int j = 0; j < y.Columns; j++)
            {
                double denominator = lambda[i] + alphas[j];
                qtb[i, j] = denominator > cutoff ? qtb[i, j] / denominator : 0;
            }
        return DenseMatrix.Multiply(qtb, q, MatrixOp.Transpose, MatrixOp.Transpose, parallelism);  // (t, d)
    }

    // (XᵀX + α_j·I)·w_j = Xᵀy_j by conjugate gradients, one target at a time, the operator applied as Xᵀ(X·v) + α·v.
    private static (DenseMatrix W, int[] Iterations, bool Converged) SolveConjugateGradient(
        DenseMatrix x, DenseMatrix y, double[] alphas, double tolerance, int? maxIterations, Parallelism parallelism)
    {
        int d = x.Columns, t = y.Columns;
        var xty = DenseMatrix.Multiply(x, y, MatrixOp.Transpose, MatrixOp.None, parallelism);
        var w = new DenseMatrix(t, d);
        var iterations = new int[t];
        bool converged = true;
        var rhs = new double[d];
        for (int j = 0; j < t; j++)
        {
            for (int f = 0; f < d; f++) rhs[f] = xty[f, j];
            var result = ConjugateGradient.Solve(new NormalEquations(x, alphas[j], parallelism), rhs, tolerance, maxIterations);
            result.Solution.CopyTo(w.Row(j));
            iterations[j] = result.Iterations;
            converged &= result.Converged;
        }
        return (w, iterations, converged);
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

    /// <summary>v ↦ Xᵀ(X·v) + α·v, never forming XᵀX.</summary>
    private sealed class NormalEquations(DenseMatrix x, double alpha, Parallelism parallelism) : ILinearOperator
    {
        private readonly DenseOperator _x = new(x, parallelism);
        private readonly double[] _xv = new double[x.Rows];

        public int Rows => x.Columns;

        public int Columns => x.Columns;

        public void Apply(ReadOnlySpan<double> v, Span<double> result)
        {
            _x.Apply(v, _xv);
            _x.ApplyTransposed(_xv, result);
            Dense.Axpy(alpha, v, result);
        }

        public void ApplyTransposed(ReadOnlySpan<double> v, Span<double> result) => Apply(v, result);
    }
}

/// <summary>What a <see cref="Ridge"/> fit did.</summary>
/// <param name="Requested">The solver asked for.</param>
/// <param name="Solver">The solver that produced the coefficients (Auto resolved; SVD after a fallback).</param>
/// <param name="Fallback">Why the fit fell back to SVD, or null when it did not.</param>
/// <param name="Iterations">Conjugate-gradient iterations per target, or null for the direct solvers.</param>
/// <param name="Converged">False when conjugate gradients hit the iteration limit for some target.</param>
public sealed record RidgeFitReport(RidgeSolver Requested, RidgeSolver Solver, string? Fallback, int[]? Iterations, bool Converged)
{
    /// <summary>True when Cholesky failed and SVD solved the system.</summary>
    public bool FellBack => Fallback is not null;
}

/// <summary>A fitted <see cref="Ridge"/> model: ŷ = x·Wᵀ + b.</summary>
public sealed class RidgeModel
{
    private readonly DenseMatrix _w;
    private readonly double[] _intercept;
    private readonly bool _vectorTarget;

    internal RidgeModel(Ridge options, DenseMatrix w, double[] intercept, bool vectorTarget, RidgeFitReport report)
    {
        Options = options;
        _w = w;
        _intercept = intercept;
        _vectorTarget = vectorTarget;
        Report = report;
    }

    /// <summary>The options it was fitted with.</summary>
    public Ridge Options { get; }

    /// <summary>What ran: solver, fallback, iterations.</summary>
    public RidgeFitReport Report { get; }

    /// <summary>The number of features.</summary>
    public int Features => _w.Columns;

    /// <summary>The number of targets.</summary>
    public int Targets => _w.Rows;

    /// <summary>W of shape (n_targets, n_features), like scikit-learn's coef_ for a 2-D y (a 1-D y gives one row).</summary>
    public MtlTensor<double> Coefficients => _w.ToTensor();

    /// <summary>b, one intercept per target (zeros without an intercept).</summary>
    public double[] Intercept => (double[])_intercept.Clone();

    /// <summary>
    /// Predictions X·Wᵀ + b: of shape (n_samples, n_targets), or (n_samples,) when the model was fitted on a 1-D y
    /// (as scikit-learn).
    /// </summary>
    /// <exception cref="LearnInputException">When X has another number of features.</exception>
    public MtlTensor<double> Predict(MtlTensor<double> x)
    {
        var (n, d, xv) = LearnInput.Matrix(x, "X");
        LearnInput.Features(Features, d, "Ridge");
        var p = DenseMatrix.Multiply(new DenseMatrix(n, d, xv), _w, MatrixOp.None, MatrixOp.Transpose, Options.Parallelism);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < Targets; j++) p[i, j] += _intercept[j];
        return _vectorTarget ? MtlTensor.FromArray(p.Data, n) : p.ToTensor();
    }
}
