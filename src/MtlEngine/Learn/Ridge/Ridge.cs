using System.Globalization;
using MtlEngine.Data;
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
/// <param name="Tolerance">
/// Conjugate gradients stop when ‖r‖ ≤ Tolerance·‖b‖ (default 1e-4, scikit-learn's tol, with its meaning: scipy's
/// <c>cg(tol=tol, atol="legacy")</c> with b = Xᵀy_j, or y_j in the kernel form; when ‖b‖ ≤ Tolerance the solution is 0).
/// The direct solvers ignore it.
/// </param>
/// <param name="MaxIterations">The conjugate-gradient iteration limit per target (default 10·the order of the system).</param>
/// <param name="Parallelism">Threads for the GEMM and the factorizations.</param>
public sealed record Ridge(
    double Alpha = 1.0,
    double[]? Alphas = null,
    bool FitIntercept = true,
    RidgeSolver Solver = RidgeSolver.Auto,
    double Tolerance = 1e-4,
    int? MaxIterations = null,
    Parallelism? Parallelism = null)
{
    /// <summary>Fits W (n_targets, n_features) and b (n_targets).</summary>
    /// <param name="x">X of shape (n_samples, n_features).</param>
    /// <param name="y">Y of shape (n_samples,) or (n_samples, n_targets).</param>
    /// <param name="sampleWeight">sᵢ ≥ 0, length n_samples, or null for all ones.</param>
    /// <exception cref="LearnInputException">When shapes disagree, a value is not finite, an α or weight is negative.</exception>
    public RidgeModel Fit(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight = null)
    {
        if (!(Tolerance >= 0) || double.IsInfinity(Tolerance))
            throw new LearnInputException($"Tolerance must be finite and ≥ 0, but is {Tolerance}.");
        var parallelism = Parallelism ?? TensorParallelism.Current; // null: the ambient default (see Parallelism)
        ArgumentNullException.ThrowIfNull(x);
        string? choleskyFailure = null; // set when the fast path found XᵀX + αI not positive definite
        if (x.Rank == 2 && x.Dim(0) >= x.Dim(1) && Solver is RidgeSolver.Auto or RidgeSolver.Cholesky)
        {
            // The fast path: the normal equations streamed from X in place (no centred copy of X), one Cholesky per α;
            // XᵀX and XᵀY live in pooled scratch (fresh memory costs more than the arithmetic on it).
            var (_, d, t) = RidgeProblem.Check(x, y, sampleWeight, checkX: false); // X is checked by the streamed pass
            var targetAlphas = TargetAlphas(t);
            using (var gram = new PooledMatrix(d, d))
            using (var xty = new PooledMatrix(d, t))
            {
                var (xOffset, yOffset) = RidgeProblem.NormalEquations(x, y, sampleWeight, FitIntercept, gram.Data, xty.Data, parallelism);
                try
                {
                    var wPrimal = SolveNormalEquations(gram.ReadOnlySpan, xty.ReadOnlySpan, targetAlphas, parallelism);
                    var primalIntercept = FitIntercept ? RidgeProblem.Intercept(wPrimal, xOffset, yOffset) : new double[wPrimal.Rows];
                    return new RidgeModel(this, targetAlphas, wPrimal, primalIntercept, y.Rank == 1, new RidgeFitReport(Solver, RidgeSolver.Cholesky, null, null, true));
                }
                catch (NotPositiveDefiniteException e)
                {
                    // Singular: the general path below goes straight to the SVD (no second Cholesky of the same matrix);
                    // the inputs were checked by the fast path, so they are not checked again.
                    choleskyFailure = e.Message;
                }
            }
        }
        var problem = RidgeProblem.Prepare(x, y, sampleWeight, FitIntercept, check: choleskyFailure is null);
        var alphas = TargetAlphas(problem.Targets);
        var (w, report) = choleskyFailure is null
            ? Solve(problem.X, problem.Y, alphas)
            : (SolveSvd(problem.X, problem.Y, alphas, parallelism),
               new RidgeFitReport(Solver, RidgeSolver.Svd, $"Cholesky failed ({choleskyFailure}); solved by SVD instead.", null, true));
        var intercept = FitIntercept ? problem.Intercept(w) : new double[w.Rows];
        return new RidgeModel(this, alphas, w, intercept, y.Rank == 1, report);
    }

    /// <summary>Solves the reduced problem (X and Y centred and rescaled): W (t, d) and what ran.</summary>
    internal (DenseMatrix W, RidgeFitReport Report) Solve(DenseMatrix xm, DenseMatrix ym, double[] alphas)
    {
        var requested = Solver;
        var solver = Solver == RidgeSolver.Auto ? RidgeSolver.Cholesky : Solver;
        var parallelism = Parallelism ?? TensorParallelism.Current;
        string? fallback = null;
        int[]? iterations = null;
        bool converged = true;
        DenseMatrix w; // (n_targets, n_features)
        switch (solver)
        {
            case RidgeSolver.Cholesky:
                try
                {
                    w = SolveCholesky(xm, ym, alphas, parallelism);
                }
                catch (NotPositiveDefiniteException e)
                {
                    fallback = $"Cholesky failed ({e.Message}); solved by SVD instead.";
                    solver = RidgeSolver.Svd;
                    w = SolveSvd(xm, ym, alphas, parallelism);
                }
                break;
            case RidgeSolver.Svd:
                w = SolveSvd(xm, ym, alphas, parallelism);
                break;
            case RidgeSolver.Eigen:
                w = SolveEigen(xm, ym, alphas, parallelism);
                break;
            case RidgeSolver.ConjugateGradient:
                (w, iterations, converged) = SolveConjugateGradient(xm, ym, alphas, Tolerance, MaxIterations, parallelism);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(Solver), Solver, "Unknown ridge solver.");
        }
        return (w, new RidgeFitReport(requested, solver, fallback, iterations, converged));
    }

    internal double[] TargetAlphas(int targets)
    {
        var alphas = Alphas ?? Enumerable.Repeat(Alpha, targets).ToArray();
        if (alphas.Length != targets)
            throw new LearnInputException($"Alphas has {alphas.Length} values but y has {targets} targets; pass one α per target, or a single Alpha.");
        foreach (double a in alphas)
            if (!(a >= 0) || double.IsInfinity(a))
                throw new LearnInputException($"α must be finite and ≥ 0, but got {a}.");
        return (double[])alphas.Clone();
    }

    // W = (XᵀX + αI)⁻¹·XᵀY, one Cholesky factorization per distinct α (n ≥ d), XᵀX by SYRK and every target of an α
    // solved at once; W = Xᵀ·(X·Xᵀ + αI)⁻¹·Y, the kernel (dual) form, when there are more features than samples (d > n).
    private static DenseMatrix SolveCholesky(DenseMatrix x, DenseMatrix y, double[] alphas, Parallelism parallelism)
    {
        bool dual = x.Columns > x.Rows;
        var gram = dual
            ? RidgeProblem.Kernel(x, parallelism, lowerOnly: true)   // X·Xᵀ (n×n): the lower triangle is all Cholesky reads
            : RidgeProblem.Gram(x, parallelism, lowerOnly: true);    // XᵀX (d×d)
        var rhs = dual ? y : DenseMatrix.Multiply(x, y, MatrixOp.Transpose, MatrixOp.None, parallelism); // Y or XᵀY
        var solution = SolveNormalEquations(gram, rhs, alphas, parallelism);                            // (t, order)
        return dual ? DenseMatrix.Multiply(solution, x, MatrixOp.None, MatrixOp.None, parallelism) : solution; // dual: (Xᵀ·Z)ᵀ = Zᵀ·X
    }

    // Z = (A + α_j·I)⁻¹·B column by column for A's lower triangle, one Cholesky per distinct α: Zᵀ of shape (t, order).
    // A + α·I is factored in pooled scratch (L·Lᵀ, L in its lower triangle) and B's columns of that α solved there by
    // L·U = B, Lᵀ·Z = U: the steps of Cholesky.Factor(A + α·I).Solve(B) without its fresh n×n factor and copy of B.
    private static DenseMatrix SolveNormalEquations(DenseMatrix gram, DenseMatrix rhs, double[] alphas, Parallelism parallelism) =>
        SolveNormalEquations(gram.ReadOnlySpan, rhs.ReadOnlySpan, alphas, parallelism);

    internal static DenseMatrix SolveNormalEquations(ReadOnlyMatrixSpan<double> gram, ReadOnlyMatrixSpan<double> rhs, double[] alphas, Parallelism parallelism)
    {
        int d = gram.Rows, t = rhs.Columns;
        var w = new DenseMatrix(t, d);
        using var factor = new PooledMatrix(d, d, clear: false);
        foreach (var group in Enumerable.Range(0, t).GroupBy(j => alphas[j]))
        {
            for (int i = 0; i < d; i++)
            {
                for (int j = 0; j <= i; j++) factor[i, j] = gram[i, j];
                factor[i, i] += group.Key;
            }
            LinearAlgebra.Cholesky.FactorInPlace(factor.Span, parallelism, LinearAlgebra.Cholesky.DefaultBlockSize);
            var targets = group.ToArray();
            using var b = new PooledMatrix(d, targets.Length, clear: false);
            for (int i = 0; i < d; i++)
                for (int k = 0; k < targets.Length; k++) b[i, k] = rhs[i, targets[k]];
            TriangularSolve.Lower(factor.ReadOnlySpan, b.Span, unitDiagonal: false, parallelism);
            TriangularSolve.Upper(factor.ReadOnlySpan.Transposed(), b.Span, unitDiagonal: false, parallelism);
            for (int k = 0; k < targets.Length; k++)
                for (int f = 0; f < d; f++) w[targets[k], f] = b[f, k];
        }
        return w;
    }

    // X = U·Σ·Vᵀ  ⇒  w_j = V·diag(σ / (σ² + α_j))·Uᵀy_j   (σ ≤ 1e-15 contribute nothing, as scikit-learn)
    private static DenseMatrix SolveSvd(DenseMatrix x, DenseMatrix y, double[] alphas, Parallelism parallelism)
    {
        var svd = LinearAlgebra.Svd.Compute(x, parallelism);
        var sigma = svd.SingularValues;
        var uty = DenseMatrix.Multiply(svd.U, y, MatrixOp.Transpose, MatrixOp.None, parallelism); // (k, t)
        for (int i = 0; i < sigma.Length; i++)
            for (int j = 0; j < y.Columns; j++)
                uty[i, j] *= sigma[i] > 1e-15 ? sigma[i] / (sigma[i] * sigma[i] + alphas[j]) : 0;
        return DenseMatrix.Multiply(uty, svd.V, MatrixOp.Transpose, MatrixOp.Transpose, parallelism); // (t, d) = (V·D·UᵀY)ᵀ
    }

    // XᵀX = Q·Λ·Qᵀ  ⇒  w_j = Q·diag(1 / (λ + α_j))·Qᵀ·Xᵀy_j
    private static DenseMatrix SolveEigen(DenseMatrix x, DenseMatrix y, double[] alphas, Parallelism parallelism)
    {
        var gram = RidgeProblem.Gram(x, parallelism);
        var xty = DenseMatrix.Multiply(x, y, MatrixOp.Transpose, MatrixOp.None, parallelism);       // (d, t)
        return SolveGramEigen(gram, xty, alphas, parallelism);
    }

    // A = Q·Λ·Qᵀ  ⇒  Zᵀ with z_j = Q·diag(1 / (λ + α_j))·Qᵀ·b_j, for the Gramian A = XᵀX and B = XᵀY (the fit and the streamed
    // statistics' solve): λ + α below d·ε·λ_max contribute nothing (the pseudo-inverse). Shape (t, d).
    internal static DenseMatrix SolveGramEigen(DenseMatrix gram, DenseMatrix xty, double[] alphas, Parallelism parallelism)
    {
        var eigen = SymmetricEigen.Compute(gram, computeVectors: true, parallelism);
        var q = eigen.Vectors!;
        var lambda = eigen.Values;
        double cutoff = gram.Rows * MachineEpsilon.Double * Math.Max(lambda.Length == 0 ? 0 : lambda.Max(Math.Abs), 0);
        var qtb = DenseMatrix.Multiply(q, xty, MatrixOp.Transpose, MatrixOp.None, parallelism);     // (d, t)
        for (int i = 0; i < lambda.Length; i++)
            for (int j = 0; j < xty.Columns; j++)
            {
                double denominator = lambda[i] + alphas[j];
                qtb[i, j] = denominator > cutoff ? qtb[i, j] / denominator : 0;
            }
        return DenseMatrix.Multiply(qtb, q, MatrixOp.Transpose, MatrixOp.Transpose, parallelism);  // (t, d)
    }

    // (XᵀX + α_j·I)·w_j = Xᵀy_j by conjugate gradients, one target at a time, the operator applied as Xᵀ(X·v) + α·v;
    // with more features than samples the kernel form (X·Xᵀ + α_j·I)·z_j = y_j, w_j = Xᵀz_j, as scikit-learn's sparse_cg.
    private static (DenseMatrix W, int[] Iterations, bool Converged) SolveConjugateGradient(
        DenseMatrix x, DenseMatrix y, double[] alphas, double tolerance, int? maxIterations, Parallelism parallelism)
    {
        int n = x.Rows, d = x.Columns, t = y.Columns;
        bool dual = d > n;
        var rhsAll = dual ? y : DenseMatrix.Multiply(x, y, MatrixOp.Transpose, MatrixOp.None, parallelism); // (order, t)
        var w = new DenseMatrix(t, d);
        var iterations = new int[t];
        bool converged = true;
        var rhs = new double[rhsAll.Rows];
        var xOperator = new DenseOperator(x, parallelism);
        for (int j = 0; j < t; j++)
        {
            for (int f = 0; f < rhs.Length; f++) rhs[f] = rhsAll[f, j];
            ILinearOperator op = new RegularizedGram(x, alphas[j], kernelForm: dual, parallelism);
            var (solution, used, ok) = ScipyConjugateGradient(op, rhs, tolerance, maxIterations ?? 10 * Math.Max(rhs.Length, 1));
            if (dual) xOperator.ApplyTransposed(solution, w.Row(j));
            else solution.CopyTo(w.Row(j));
            iterations[j] = used;
            converged &= ok;
        }
        return (w, iterations, converged);
    }

    /// <summary>
    /// Conjugate gradients from x₀ = 0 with the stopping rule of scipy's <c>cg(tol, atol="legacy")</c>, which is what
    /// scikit-learn's tol means: the solution is 0 when ‖b‖ ≤ tol; otherwise stop when ‖r‖ ≤ tol·‖b‖, and a recurrence
    /// residual that passes is recomputed as b − A·x and must pass again (else the iteration goes on from x).
    /// </summary>
    private static (double[] Solution, int Iterations, bool Converged) ScipyConjugateGradient(ILinearOperator a, double[] b, double tolerance, int limit)
    {
        int order = b.Length;
        double bnorm = Dense.Norm2(b);
        if (bnorm <= tolerance) return (new double[order], 0, true);
        var x = new double[order];
        var ax = new double[order];
        int used = 0;
        while (true)
        {
            var result = ConjugateGradient.Solve(a, b, tolerance, Math.Max(limit - used, 0), x);
            x = result.Solution;
            used += result.Iterations;
            if (!result.Converged) return (x, used, false);
            if (result.Iterations <= 1 || used >= limit) return (x, used, true);
            a.Apply(x, ax);
            double r2 = 0;
            for (int i = 0; i < order; i++) r2 += (b[i] - ax[i]) * (b[i] - ax[i]);
            if (Math.Sqrt(r2) <= tolerance * bnorm) return (x, used, true);
        }
    }

    /// <summary>
    /// The conjugate-gradient operator of ridge, never forming the Gram matrix: v ↦ Xᵀ(X·v) + α·v (the normal
    /// equations, d×d) or, in the kernel form, v ↦ X(Xᵀ·v) + α·v (n×n). Symmetric, so its transpose is itself.
    /// </summary>
    private sealed class RegularizedGram(DenseMatrix x, double alpha, bool kernelForm, Parallelism parallelism) : ILinearOperator
    {
        private readonly DenseOperator _x = new(x, parallelism);
        private readonly double[] _inner = new double[kernelForm ? x.Columns : x.Rows];

        public int Rows => kernelForm ? x.Rows : x.Columns;

        public int Columns => Rows;

        public void Apply(ReadOnlySpan<double> v, Span<double> result)
        {
            if (kernelForm)
            {
                _x.ApplyTransposed(v, _inner);
                _x.Apply(_inner, result);
            }
            else
            {
                _x.Apply(v, _inner);
                _x.ApplyTransposed(_inner, result);
            }
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

/// <summary>A fitted <see cref="Ridge"/> model: ŷ = x·Wᵀ + b. Saved as a model file of kind "ridge" (<see cref="Save"/>).</summary>
public sealed class RidgeModel
{
    /// <summary>The model kind in the file's metadata.</summary>
    public const string Kind = "ridge";

    private readonly DenseMatrix _w;
    private readonly double[] _intercept;
    private readonly double[] _alphas;
    private readonly bool _vectorTarget;

    internal RidgeModel(Ridge options, double[] alphas, DenseMatrix w, double[] intercept, bool vectorTarget, RidgeFitReport report)
    {
        Options = options;
        _alphas = alphas;
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

    /// <summary>True when it was fitted on a 1-D y (predictions are then 1-D too).</summary>
    public bool VectorTarget => _vectorTarget;

    /// <summary>The α of each target, length n_targets.</summary>
    public double[] Alphas => (double[])_alphas.Clone();

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

    /// <summary>
    /// Writes the model as safetensors: <c>coef_</c> (n_targets, n_features) — or (n_features,) for a 1-D y, as
    /// scikit-learn — and <c>intercept_</c>, metadata kind "ridge", alpha (comma-separated, one per target),
    /// fit_intercept and solver.
    /// </summary>
    public void Save(string path)
    {
        var coef = _vectorTarget ? NdArray.Create("coef_", (double[])_w.Data.Clone(), Features) : NdArray.Create("coef_", (double[])_w.Data.Clone(), Targets, Features);
        var intercept = _vectorTarget ? NdArray.Create("intercept_", [_intercept[0]], 1) : NdArray.Create("intercept_", (double[])_intercept.Clone(), Targets);
        ModelFile.Write(path, Kind, [coef, intercept], new Dictionary<string, string>
        {
            ["alpha"] = string.Join(",", _alphas.Select(a => a.ToString("R", CultureInfo.InvariantCulture))),
            ["fit_intercept"] = Options.FitIntercept ? "true" : "false",
            ["solver"] = Report.Solver.ToString(),
            ["target_rank"] = _vectorTarget ? "1" : "2",
        });
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="DataFormatException">When the file is not a ridge model or its arrays do not fit together.</exception>
    public static RidgeModel Load(string path)
    {
        var file = ModelFile.Read(path, Kind);
        file.OnlyTensors("coef_", "intercept_");
        int coefRank = file.Tensor("coef_").Rank;
        if (coefRank is not (1 or 2))
            throw new DataFormatException(path, $"the ridge coef_ has rank {coefRank}; expected (n_targets, n_features) or (n_features,)");
        bool vector = coefRank == 1;
        // Every metadata entry that is there is parsed strictly; files written before an entry existed get its old default.
        string rank = file.Metadata.ContainsKey("target_rank") ? file.Choice("target_rank", "1", "2") : vector ? "1" : "2";
        if ((rank == "1") != vector)
            throw new DataFormatException(path, $"the ridge model's target_rank is {rank} but its coef_ has rank {coefRank}");
        var coef = vector ? new DenseMatrix(1, file.Tensor("coef_").Length, file.Vector("coef_")) : file.Matrix("coef_");
        int t = coef.Rows;
        var intercept = file.Vector("intercept_", t);
        var alphas = file.Metadata.ContainsKey("alpha") ? ReadAlphas(file, t) : new double[t];
        bool fitIntercept = !file.Metadata.ContainsKey("fit_intercept") || file.Flag("fit_intercept");
        var solver = file.Metadata.ContainsKey("solver") ? Enum.Parse<RidgeSolver>(file.Choice("solver", Enum.GetNames<RidgeSolver>())) : RidgeSolver.Auto;
        var options = new Ridge(Alphas: alphas, FitIntercept: fitIntercept, Solver: solver);
        return new RidgeModel(options, alphas, coef, intercept, vector,
            new RidgeFitReport(solver, solver, null, null, true));
    }

    /// <summary>The metadata alpha: one penalty, or one per target, comma-separated, each a finite number ≥ 0.</summary>
    private static double[] ReadAlphas(ModelFileContents file, int targets)
    {
        string text = file.Text("alpha");
        var parts = text.Split(',');
        var alphas = new double[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!double.TryParse(parts[i], NumberStyles.Float & ~NumberStyles.AllowLeadingWhite & ~NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture, out alphas[i])
                || !double.IsFinite(alphas[i]) || alphas[i] < 0)
                throw new DataFormatException(file.Path, $"the ridge model's metadata entry 'alpha' is '{text}'; expected finite numbers ≥ 0, one or one per target, comma-separated");
        if (alphas.Length == targets) return alphas;
        if (alphas.Length == 1) return Enumerable.Repeat(alphas[0], targets).ToArray();
        throw new DataFormatException(file.Path, $"the ridge model's metadata entry 'alpha' holds {alphas.Length} penalties for {targets} targets; expected 1 or {targets}");
    }
}
