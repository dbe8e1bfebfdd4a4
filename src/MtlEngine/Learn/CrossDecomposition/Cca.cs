using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// Canonical correlation analysis of two views X (n × p) and Y (n × q) of the same samples, as scikit-learn's
/// <c>cross_decomposition.CCA</c> (Wegelin 2000's PLS-W2A family, mode B, canonical deflation): pairs of directions
/// (u_k, v_k) such that the scores ξ = X·u and ω = Y·v are as correlated as possible, each pair uncorrelated with the
/// earlier ones. The scores are the shared (cross-modal) representation: <see cref="CcaModel.TransformX"/> and
/// <see cref="CcaModel.TransformY"/> map either view into it.
/// <para>
/// Algorithm — the same NIPALS as scikit-learn, so results agree to rounding. With X and Y centred (and scaled to unit
/// standard deviation when <paramref name="Scale"/>), for each component k:
/// <code>
/// ω = first non-constant column of Y_k
/// repeat:  u = X_k⁺·ω, u /= ‖u‖;  ξ = X_k·u                     (mode B: regression of ω on X_k)
///          v = Y_k⁺·ξ, v /= ‖v‖;  ω = Y_k·v / (vᵀv)
///          until ‖u − u_old‖² &lt; tol (or Y has one column)
/// sign: the largest-magnitude entry of u positive (v flipped with it)
/// ξ = X_k·u, ω = Y_k·v;  loadings γ = X_kᵀξ/(ξᵀξ), δ = Y_kᵀω/(ωᵀω)
/// deflate: X_{k+1} = X_k − ξ·γᵀ,  Y_{k+1} = Y_k − ω·δᵀ           (canonical deflation)
/// rotations R_x = U·pinv(ΓᵀU), R_y = V·pinv(ΔᵀV);  transform(x) = ((x − x̄)/s_x)·R_x
/// </code>
/// The alternating regressions are the power method for the leading singular pair of Q_xᵀQ_y (Q_x, Q_y orthonormal
/// bases of the two column spaces), whose singular values are the canonical correlations (Björck and Golub 1973):
/// at convergence the first pair is exactly the first canonical pair, and deflation by each view's own scores
/// leaves the remaining pairs of the exact CCA, so the correlations of the paired scores are the canonical
/// correlations. scikit-learn stops at ‖Δu‖² &lt; 10⁻⁶ (not at convergence): matching it exactly is why NIPALS is kept
/// rather than an exact SVD-based CCA; a small <paramref name="Tolerance"/> gives the exact pairs (tests hold both).
/// </para>
/// <para>
/// Every product above meets X_k and Y_k only as X_kᵀX_k, Y_kᵀY_k and X_kᵀY_k, so <see cref="Fit"/> runs this NIPALS in
/// covariance form on the scatter of [X Y] (<see cref="CcaStatistics"/>, the one implementation; the streamed and
/// distributed fits merge the same statistics).
/// </para>
/// </summary>
/// <param name="Components">The number of canonical pairs k, 1 ≤ k ≤ min(n, p, q) (default 2, as scikit-learn).</param>
/// <param name="Scale">Scale each column to unit standard deviation (ddof 1) after centring (default true).</param>
/// <param name="MaxIterations">The NIPALS iteration limit per component (default 500).</param>
/// <param name="Tolerance">NIPALS stops when the squared change of u is below this (default 1e-6, as scikit-learn).</param>
/// <param name="Parallelism">Threads for the SYRK of the scatter.</param>
public sealed record Cca(int Components = 2, bool Scale = true, int MaxIterations = 500, double Tolerance = 1e-6, Parallelism? Parallelism = null)
{
    /// <summary>Fits the canonical pairs of two views.</summary>
    /// <param name="x">The first view, shape (n_samples, p).</param>
    /// <param name="y">The second view, shape (n_samples, q) (or (n_samples,) for one column).</param>
    /// <exception cref="LearnInputException">When the rows differ, a value is not finite, or k exceeds min(n, p, q).</exception>
    public CcaModel Fit(MtlTensor<double> x, MtlTensor<double> y)
    {
        var (n, p, xv) = LearnInput.Matrix(x, "X");
        var (ny, q, yv) = LearnInput.Targets(y, "Y");
        if (ny != n)
            throw new LearnInputException($"X has {n} rows but Y has {ny}; the two views must describe the same samples, one row each.");
        LearnInput.NotEmpty(n, "X");
        LearnInput.Finite(xv, p, "X");
        LearnInput.Finite(yv, q, "Y");
        int bound = Math.Min(n, Math.Min(p, q));
        if (Components < 1 || Components > bound)
            throw new LearnInputException($"Components = {Components} must be between 1 and min(n_samples, p, q) = {bound} for X of shape ({n}, {p}) and Y of shape ({n}, {q}).");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxIterations, 1);

        return CcaStatistics.From(x, y, Parallelism).Fit(this);
    }

    /// <summary>scikit-learn's <c>_svd_flip_1d</c>: flips u and v together so that the largest-magnitude entry of u is positive.</summary>
    internal static void FlipSigns(double[] u, double[] v)
    {
        int best = 0;
        for (int i = 1; i < u.Length; i++)
            if (Math.Abs(u[i]) > Math.Abs(u[best])) best = i;
        if (u[best] < 0)
        {
            Dense.Scale(-1, u);
            Dense.Scale(-1, v);
        }
    }

    /// <summary>
    /// A⁺ = V·Σ⁻¹·Uᵀ over the σᵢ &gt; cutoff·σ_max, cutoff = <paramref name="relativeCutoff"/> (scikit-learn's _pinv2_old uses
    /// 10⁶·ε) or max(m, n)·ε (SciPy's pinv) when null.
    /// </summary>
    internal static DenseMatrix PseudoInverse(DenseMatrix a, double? relativeCutoff)
    {
        int m = a.Rows, n = a.Columns;
        if (m == 0 || n == 0) return new DenseMatrix(n, m);
        var svd = LinearAlgebra.Svd.Compute(a, MtlEngine.Parallelism.Sequential);
        var s = svd.SingularValues;
        double cutoff = (relativeCutoff ?? Math.Max(m, n) * MachineEpsilon.Double) * (s.Length == 0 ? 0 : s[0]);
        int rank = s.Count(v => v > cutoff);
        var vs = new DenseMatrix(n, rank);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < rank; j++) vs[i, j] = svd.V[i, j] / s[j];
        return DenseMatrix.Multiply(vs, svd.U.SliceColumns(0, rank), MatrixOp.None, MatrixOp.Transpose, MtlEngine.Parallelism.Sequential);
    }
}

/// <summary>What a <see cref="Cca"/> fit did.</summary>
/// <param name="Iterations">NIPALS iterations per component.</param>
/// <param name="Converged">False when some component hit the iteration limit.</param>
/// <param name="Stopped">Why fewer pairs than asked were found (Y's residual became constant), or null.</param>
public sealed record CcaFitReport(int[] Iterations, bool Converged, string? Stopped);

/// <summary>
/// A fitted <see cref="Cca"/>: the canonical directions of both views and the shared representation. Saved as a model
/// file of kind "cca" (<see cref="Save"/>).
/// </summary>
public sealed class CcaModel
{
    /// <summary>The model kind in the file's metadata.</summary>
    public const string Kind = "cca";

    private readonly double[] _xMean, _xStd, _yMean, _yStd;
    private readonly DenseMatrix _xWeights, _yWeights, _xLoadings, _yLoadings, _xRotations, _yRotations;
    private readonly bool _vectorY;
    private double[] _correlations = [];

    internal CcaModel(Cca options, double[] xMean, double[] xStd, double[] yMean, double[] yStd, DenseMatrix xWeights, DenseMatrix yWeights,
        DenseMatrix xLoadings, DenseMatrix yLoadings, DenseMatrix xRotations, DenseMatrix yRotations, CcaFitReport report, bool vectorY)
    {
        Options = options;
        (_xMean, _xStd, _yMean, _yStd) = (xMean, xStd, yMean, yStd);
        (_xWeights, _yWeights, _xLoadings, _yLoadings, _xRotations, _yRotations) = (xWeights, yWeights, xLoadings, yLoadings, xRotations, yRotations);
        Report = report;
        _vectorY = vectorY;
    }

    /// <summary>The options it was fitted with.</summary>
    public Cca Options { get; }

    /// <summary>NIPALS iterations, convergence, early stop.</summary>
    public CcaFitReport Report { get; }

    /// <summary>k, the number of canonical pairs.</summary>
    public int ComponentCount => _xWeights.Columns;

    /// <summary>The canonical correlations corr(ξ_k, ω_k) of the paired training scores, length k, in decreasing order for converged fits.</summary>
    public double[] CanonicalCorrelations => (double[])_correlations.Clone();

    /// <summary>U, the X weights, shape (p, k) (scikit-learn's x_weights_).</summary>
    public MtlTensor<double> XWeights => _xWeights.ToTensor();

    /// <summary>V, the Y weights, shape (q, k).</summary>
    public MtlTensor<double> YWeights => _yWeights.ToTensor();

    /// <summary>Γ, the X loadings, shape (p, k).</summary>
    public MtlTensor<double> XLoadings => _xLoadings.ToTensor();

    /// <summary>Δ, the Y loadings, shape (q, k).</summary>
    public MtlTensor<double> YLoadings => _yLoadings.ToTensor();

    /// <summary>R_x = U·pinv(ΓᵀU), shape (p, k): the standardized X times R_x gives the X scores.</summary>
    public MtlTensor<double> XRotations => _xRotations.ToTensor();

    /// <summary>R_y = V·pinv(ΔᵀV), shape (q, k).</summary>
    public MtlTensor<double> YRotations => _yRotations.ToTensor();

    /// <summary>The regression of Y on X through the canonical pairs, shape (q, p) (as scikit-learn ≥ 1.3's coef_; 1.2's is its transpose): ŷ = ((x − x̄)/s_x)·Coefficientsᵀ + ȳ.</summary>
    public MtlTensor<double> Coefficients
    {
        get
        {
            var coef = DenseMatrix.Multiply(_yLoadings, _xRotations, MatrixOp.None, MatrixOp.Transpose, Options.Parallelism); // (q, p) = Δ·R_xᵀ
            for (int j = 0; j < coef.Rows; j++) Dense.Scale(_yStd[j], coef.Row(j));
            return coef.ToTensor();
        }
    }

    /// <summary>The X view in the shared space: ((x − x̄)/s_x)·R_x, shape (n_samples, k).</summary>
    /// <exception cref="LearnInputException">When X has another number of columns or is not finite.</exception>
    public MtlTensor<double> TransformX(MtlTensor<double> x) => Scores(x, "X", _xMean, _xStd, _xRotations);

    /// <summary>The Y view in the shared space: ((y − ȳ)/s_y)·R_y, shape (n_samples, k).</summary>
    /// <exception cref="LearnInputException">When Y has another number of columns or is not finite.</exception>
    public MtlTensor<double> TransformY(MtlTensor<double> y)
    {
        if (y.Rank == 1) y = y.Reshape(y.Dim(0), 1);
        return Scores(y, "Y", _yMean, _yStd, _yRotations);
    }

    /// <summary>Predicts the Y view from the X view: ((x − x̄)/s_x)·Coefficientsᵀ + ȳ, shape (n_samples, q) (or (n_samples,) for a 1-D Y).</summary>
    public MtlTensor<double> Predict(MtlTensor<double> x)
    {
        var (n, p, xv) = LearnInput.Matrix(x, "X");
        LearnInput.Features(_xMean.Length, p, "CCA");
        LearnInput.Finite(xv, p, "X");
        var xs = Standardize(new DenseMatrix(n, p, xv), _xMean, _xStd);
        var result = DenseMatrix.Multiply(xs, DenseMatrix.FromTensor(Coefficients), MatrixOp.None, MatrixOp.Transpose, Options.Parallelism);
        for (int i = 0; i < n; i++) Dense.Axpy(1, _yMean, result.Row(i));
        return _vectorY ? MtlTensor.FromArray(result.Data, n) : result.ToTensor();
    }

    /// <summary>
    /// Writes the model as safetensors (kind "cca"), float64 tensors under scikit-learn 1.2's attribute names:
    /// <c>x_weights_</c>, <c>x_loadings_</c>, <c>x_rotations_</c> (p, k); <c>y_weights_</c>, <c>y_loadings_</c>,
    /// <c>y_rotations_</c> (q, k); <c>_x_mean</c>, <c>_x_std</c> (p); <c>_y_mean</c>, <c>_y_std</c> (q); <c>coef_</c> (q, p)
    /// (scikit-learn 1.2's <c>_coef_</c>, ≥ 1.3's <c>coef_</c>); <c>intercept_</c> (q); <c>canonical_correlations_</c> (k);
    /// <c>n_iter_</c> (int64, one per component found). Metadata: n_components, scale, max_iter, tol, y_rank, converged
    /// and, when fewer pairs were found, stopped.
    /// </summary>
    public void Save(string path)
    {
        int p = _xMean.Length, q = _yMean.Length, k = ComponentCount;
        static double[] Copy(double[] a) => (double[])a.Clone();
        var metadata = new Dictionary<string, string>
        {
            ["n_components"] = ModelFileArrays.Text(Options.Components),
            ["scale"] = ModelFileArrays.Text(Options.Scale),
            ["max_iter"] = ModelFileArrays.Text(Options.MaxIterations),
            ["tol"] = ModelFileArrays.Text(Options.Tolerance),
            ["y_rank"] = _vectorY ? "1" : "2",
            ["converged"] = ModelFileArrays.Text(Report.Converged),
        };
        if (Report.Stopped is not null) metadata["stopped"] = Report.Stopped;
        ModelFile.Write(path, Kind,
        [
            NdArray.Create("x_weights_", Copy(_xWeights.Data), p, k),
            NdArray.Create("y_weights_", Copy(_yWeights.Data), q, k),
            NdArray.Create("x_loadings_", Copy(_xLoadings.Data), p, k),
            NdArray.Create("y_loadings_", Copy(_yLoadings.Data), q, k),
            NdArray.Create("x_rotations_", Copy(_xRotations.Data), p, k),
            NdArray.Create("y_rotations_", Copy(_yRotations.Data), q, k),
            NdArray.Create("_x_mean", Copy(_xMean), p),
            NdArray.Create("_x_std", Copy(_xStd), p),
            NdArray.Create("_y_mean", Copy(_yMean), q),
            NdArray.Create("_y_std", Copy(_yStd), q),
            NdArray.Create("coef_", Coefficients.ToArray(), q, p),
            NdArray.Create("intercept_", Copy(_yMean), q),
            NdArray.Create("canonical_correlations_", Copy(_correlations), k),
            NdArray.Create("n_iter_", Report.Iterations.Select(i => (long)i).ToArray(), Report.Iterations.Length),
        ], metadata);
    }

    /// <summary>Reads a model written by <see cref="Save"/>; it transforms and predicts exactly as the saved one.</summary>
    /// <exception cref="DataFormatException">When the file is not a "cca" model or its arrays do not fit together.</exception>
    public static CcaModel Load(string path, Parallelism? parallelism = null)
    {
        var file = ModelFile.Read(path, Kind);
        file.OnlyTensors("x_weights_", "y_weights_", "x_loadings_", "y_loadings_", "x_rotations_", "y_rotations_",
            "_x_mean", "_x_std", "_y_mean", "_y_std", "coef_", "intercept_", "canonical_correlations_", "n_iter_");
        var xWeights = file.Matrix("x_weights_");
        int p = xWeights.Rows, k = xWeights.Columns;
        var yWeights = file.Matrix("y_weights_", columns: k);
        int q = yWeights.Rows;
        double tol = file.Real("tol");
        var options = new Cca(file.Integer("n_components", min: 1), file.Flag("scale"), file.Integer("max_iter", min: 1), tol, parallelism);
        var iterations = file.Integers("n_iter_");
        if (iterations.Length > k || iterations.Any(i => i < 0 || i > int.MaxValue))
            throw new DataFormatException(path, $"the '{Kind}' model's n_iter_ has {iterations.Length} entries for {k} components, or a count out of range");
        string yRank = file.Text("y_rank");
        if (yRank is not ("1" or "2"))
            throw new DataFormatException(path, $"the '{Kind}' model's metadata entry 'y_rank' is '{yRank}'; expected 1 or 2");
        if (yRank == "1" && q != 1)
            throw new DataFormatException(path, $"the '{Kind}' model was fitted on a 1-D Y but its y_weights_ has {q} rows");
        var xStd = file.Vector("_x_std", p);
        var yStd = file.Vector("_y_std", q);
        if (xStd.Concat(yStd).Any(s => !(s > 0) || double.IsInfinity(s)))
            throw new DataFormatException(path, $"the '{Kind}' model's _x_std and _y_std must be positive and finite");
        var report = new CcaFitReport([.. iterations.Select(i => (int)i)], file.Flag("converged"), file.Metadata.GetValueOrDefault("stopped"));
        var model = new CcaModel(options, file.Vector("_x_mean", p), xStd, file.Vector("_y_mean", q), yStd, xWeights, yWeights,
            file.Matrix("x_loadings_", p, k), file.Matrix("y_loadings_", q, k), file.Matrix("x_rotations_", p, k), file.Matrix("y_rotations_", q, k),
            report, yRank == "1");
        model._correlations = file.Vector("canonical_correlations_", k, allowNonFinite: true);
        return model;
    }

    internal void SetCorrelations(double[] correlations) => _correlations = correlations;

    internal void SetCorrelations(MtlTensor<double> x, MtlTensor<double> y)
    {
        var xs = TransformX(x);
        var ys = TransformY(y);
        int n = xs.Dim(0), k = ComponentCount;
        _correlations = new double[k];
        for (int c = 0; c < k; c++)
        {
            var a = Enumerable.Range(0, n).Select(i => xs[i, c]).ToArray();
            var b = Enumerable.Range(0, n).Select(i => ys[i, c]).ToArray();
            _correlations[c] = Correlation(a, b);
        }
    }

    private static double Correlation(double[] a, double[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return saa == 0 || sbb == 0 ? 0 : sab / Math.Sqrt(saa * sbb);
    }

    private MtlTensor<double> Scores(MtlTensor<double> a, string name, double[] mean, double[] std, DenseMatrix rotations)
    {
        var (n, d, values) = LearnInput.Matrix(a, name);
        LearnInput.Features(mean.Length, d, $"CCA's {name} view");
        LearnInput.Finite(values, d, name);
        var standardized = Standardize(new DenseMatrix(n, d, values), mean, std);
        return DenseMatrix.Multiply(standardized, rotations, MatrixOp.None, MatrixOp.None, Options.Parallelism).ToTensor();
    }

    private static DenseMatrix Standardize(DenseMatrix a, double[] mean, double[] std)
    {
        for (int i = 0; i < a.Rows; i++)
        {
            var row = a.Row(i);
            for (int j = 0; j < row.Length; j++) row[j] = (row[j] - mean[j]) / std[j];
        }
        return a;
    }
}
