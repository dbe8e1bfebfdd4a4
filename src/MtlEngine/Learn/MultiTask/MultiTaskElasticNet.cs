using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// The multi-task elastic net, as scikit-learn's <c>MultiTaskElasticNet</c>: the t targets (tasks) share one design X and
/// the L2,1 penalty selects the same features for every task (a feature's whole column of W is zero or not):
/// <code>
/// W = argmin  1/(2n)·‖Y − X·Wᵀ − 1·bᵀ‖²_F + α·ρ·‖W‖_{2,1} + ½·α·(1 − ρ)·‖W‖²_F       ‖W‖_{2,1} = Σ_f ‖W[:, f]‖₂
/// </code>
/// (W of shape (n_targets, n_features), ρ = <paramref name="L1Ratio"/>, b unpenalized: X and Y are centred first).
/// <para>
/// Solver: cyclic block coordinate descent over features (scikit-learn's <c>enet_coordinate_descent_multi_task</c>), on
/// the objective scaled by n: with l1 = α·ρ·n, l2 = α·(1 − ρ)·n, R = Y − X·Wᵀ and x_f the f-th column,
/// <code>
/// z = X_fᵀR + ‖x_f‖²·W[:, f]  →  W[:, f] = z·max(1 − l1/‖z‖, 0) / (‖x_f‖² + l2)  (block soft-thresholding);  R −= x_f·ΔW[:, f]ᵀ
/// </code>
/// After a sweep whose largest change max|ΔW| is below Tolerance·max|W| (or on the last sweep), the duality gap is computed
/// and the fit stops when it is below Tolerance·‖Y‖²_F: scikit-learn's stopping rule. <see cref="MultiTaskElasticNetModel.DualGap"/>
/// reports the gap divided by n, as scikit-learn's dual_gap_.
/// </para>
/// </summary>
/// <param name="Alpha">α ≥ 0, the penalty's strength (default 1).</param>
/// <param name="L1Ratio">ρ in [0, 1], the L2,1 share of the penalty (default 0.5; 1 is <see cref="MultiTaskLasso"/>).</param>
/// <param name="FitIntercept">Fit an unpenalized intercept per target (default true).</param>
/// <param name="MaxIterations">The limit on sweeps over the features (default 1000).</param>
/// <param name="Tolerance">The stopping tolerance (default 1e-4), scikit-learn's tol.</param>
public sealed record MultiTaskElasticNet(
    double Alpha = 1.0,
    double L1Ratio = 0.5,
    bool FitIntercept = true,
    int MaxIterations = 1000,
    double Tolerance = 1e-4)
{
    /// <summary>Fits W (n_targets, n_features) and b.</summary>
    /// <param name="x">X of shape (n_samples, n_features).</param>
    /// <param name="y">Y of shape (n_samples, n_targets) (a 2-D array, as scikit-learn requires).</param>
    /// <param name="warmStart">Start from this model's coefficients (scikit-learn's warm_start), or null to start from 0.</param>
    /// <exception cref="LearnInputException">When shapes disagree, a value is not finite or an option is out of range.</exception>
    public MultiTaskElasticNetModel Fit(MtlTensor<double> x, MtlTensor<double> y, MultiTaskElasticNetModel? warmStart = null)
    {
        ArgumentNullException.ThrowIfNull(y);
        if (y.Rank != 2)
            throw new LearnInputException($"y must be of shape (n_samples, n_targets) for the multi-task elastic net, but has shape {MtlTensor<double>.ShapeText(y.Shape)}; use Ridge or reshape to (n, 1).");
        if (!(Alpha >= 0) || double.IsInfinity(Alpha))
            throw new LearnInputException($"Alpha must be finite and ≥ 0, but is {Alpha}.");
        if (!(L1Ratio >= 0 && L1Ratio <= 1))
            throw new LearnInputException($"L1Ratio must be in [0, 1], but is {L1Ratio}.");
        if (MaxIterations < 1)
            throw new LearnInputException($"MaxIterations must be ≥ 1, but is {MaxIterations}.");
        if (!(Tolerance >= 0))
            throw new LearnInputException($"Tolerance must be ≥ 0, but is {Tolerance}.");
        var problem = RidgeProblem.Prepare(x, y, null, FitIntercept);
        var xm = problem.X;
        var ym = problem.Y;
        int n = xm.Rows, d = xm.Columns, t = ym.Columns;
        var w = new DenseMatrix(t, d);
        if (warmStart is not null)
        {
            if (warmStart.Targets != t || warmStart.Features != d)
                throw new LearnInputException($"The warm start has {warmStart.Targets}×{warmStart.Features} coefficients but this fit needs {t}×{d}.");
            warmStart.Coefficients.ToArray().CopyTo(w.Data, 0);
        }
        var (iterations, gap, converged) = CoordinateDescent(w, xm, ym, Alpha * L1Ratio * n, Alpha * (1 - L1Ratio) * n, MaxIterations, Tolerance);
        return new MultiTaskElasticNetModel(this, w, problem.Intercept(w), iterations, gap / n, converged);
    }

    /// <summary>
    /// Block coordinate descent on ½‖Y − X·Wᵀ‖²_F + l1·‖W‖_{2,1} + ½·l2·‖W‖²_F from the given W (changed in place):
    /// (sweeps, duality gap, converged).
    /// </summary>
    internal static (int Iterations, double Gap, bool Converged) CoordinateDescent(DenseMatrix w, DenseMatrix x, DenseMatrix y, double l1, double l2, int maxIterations, double tolerance)
    {
        int n = x.Rows, d = x.Columns, t = y.Columns;
        // Columns of X and of R = Y − X·Wᵀ stored contiguously: the sweeps read and update whole columns.
        var xColumns = x.Transpose();   // (d, n)
        var yColumns = y.Transpose();   // (t, n)
        var r = yColumns.Clone();       // (t, n)
        for (int f = 0; f < d; f++)
            for (int j = 0; j < t; j++)
                if (w[j, f] != 0) Dense.Axpy(-w[j, f], xColumns.Row(f), r.Row(j));
        var norms = new double[d];
        for (int f = 0; f < d; f++) norms[f] = Dense.Dot(xColumns.Row(f), xColumns.Row(f));
        double yNorm = Dense.Norm2(y.Data);
        double gapTolerance = tolerance * yNorm * yNorm;
        var old = new double[t];
        var z = new double[t];
        double gap = gapTolerance + 1;
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            double wMax = 0, dwMax = 0;
            for (int f = 0; f < d; f++)
            {
                if (norms[f] == 0) continue;
                var xf = xColumns.Row(f);
                // z = X_fᵀR + ‖x_f‖²·W[:, f]
                for (int j = 0; j < t; j++)
                {
                    old[j] = w[j, f];
                    z[j] = Dense.Dot(xf, r.Row(j)) + norms[f] * old[j];
                }
                double zNorm = Dense.Norm2(z);
                double scale = zNorm == 0 ? 0 : Math.Max(1 - l1 / zNorm, 0) / (norms[f] + l2);
                double change = 0, size = 0;
                for (int j = 0; j < t; j++)
                {
                    double updated = z[j] * scale;
                    w[j, f] = updated;
                    double delta = old[j] - updated;
                    if (delta != 0) Dense.Axpy(delta, xf, r.Row(j)); // R += x_f·(W_old − W_new)
                    change = Math.Max(change, Math.Abs(delta));
                    size = Math.Max(size, Math.Abs(updated));
                }
                dwMax = Math.Max(dwMax, change);
                wMax = Math.Max(wMax, size);
            }
            if (wMax == 0 || dwMax / wMax < tolerance || iteration == maxIterations - 1)
            {
                gap = DualityGap(w, xColumns, yColumns, r, l1, l2);
                if (gap < gapTolerance) return (iteration + 1, gap, true);
            }
        }
        return (maxIterations, gap, false);
    }

    /// <summary>
    /// The duality gap of the scaled problem at W (scikit-learn's formula): with XtA = XᵀR − l2·Wᵀ and
    /// c = min(1, l1 / max_f ‖XtA[f, :]‖), gap = ½(‖R‖² + c²‖R‖²) − c·⟨R, Y⟩ + l1·‖W‖_{2,1} + ½·l2·(1 + c²)·‖W‖²_F
    /// (the first term is ‖R‖² when c = 1).
    /// </summary>
    private static double DualityGap(DenseMatrix w, DenseMatrix xColumns, DenseMatrix yColumns, DenseMatrix r, double l1, double l2)
    {
        int d = xColumns.Rows, t = r.Rows;
        double dualNorm = 0, l21 = 0;
        var column = new double[t];
        for (int f = 0; f < d; f++)
        {
            for (int j = 0; j < t; j++)
            {
                column[j] = Dense.Dot(xColumns.Row(f), r.Row(j)) - l2 * w[j, f];
            }
            dualNorm = Math.Max(dualNorm, Dense.Norm2(column));
            for (int j = 0; j < t; j++) column[j] = w[j, f];
            l21 += Dense.Norm2(column);
        }
        double rNorm = Dense.Norm2(r.Data), wNorm = Dense.Norm2(w.Data);
        double c, gap;
        if (dualNorm > l1)
        {
            c = l1 / dualNorm;
            double aNorm = rNorm * c;
            gap = 0.5 * (rNorm * rNorm + aNorm * aNorm);
        }
        else
        {
            c = 1;
            gap = rNorm * rNorm;
        }
        double ry = Dense.Dot(r.Data, yColumns.Data);
        return gap + l1 * l21 - c * ry + 0.5 * l2 * (1 + c * c) * wNorm * wNorm;
    }
}

/// <summary>
/// The multi-task lasso, as scikit-learn's <c>MultiTaskLasso</c>: <see cref="MultiTaskElasticNet"/> with ρ = 1,
/// W = argmin 1/(2n)·‖Y − X·Wᵀ‖²_F + α·‖W‖_{2,1}.
/// </summary>
/// <param name="Alpha">α ≥ 0 (default 1).</param>
/// <param name="FitIntercept">Fit an unpenalized intercept per target (default true).</param>
/// <param name="MaxIterations">The limit on sweeps (default 1000).</param>
/// <param name="Tolerance">The stopping tolerance (default 1e-4).</param>
public sealed record MultiTaskLasso(double Alpha = 1.0, bool FitIntercept = true, int MaxIterations = 1000, double Tolerance = 1e-4)
{
    /// <summary>Fits W and b; see <see cref="MultiTaskElasticNet.Fit"/>.</summary>
    public MultiTaskElasticNetModel Fit(MtlTensor<double> x, MtlTensor<double> y, MultiTaskElasticNetModel? warmStart = null) =>
        new MultiTaskElasticNet(Alpha, 1.0, FitIntercept, MaxIterations, Tolerance).Fit(x, y, warmStart);
}

/// <summary>
/// A fitted <see cref="MultiTaskElasticNet"/> (or <see cref="MultiTaskLasso"/>): Ŷ = X·Wᵀ + b, with what the solver did.
/// Saved as a model file of kind "multitask_elasticnet" (<see cref="Save"/>).
/// </summary>
public sealed class MultiTaskElasticNetModel
{
    /// <summary>The model kind in the file's metadata (a multi-task lasso is one with l1_ratio 1).</summary>
    public const string Kind = "multitask_elasticnet";

    private readonly DenseMatrix _w;
    private readonly double[] _intercept;

    internal MultiTaskElasticNetModel(MultiTaskElasticNet options, DenseMatrix w, double[] intercept, int iterations, double dualGap, bool converged)
    {
        Options = options;
        _w = w;
        _intercept = intercept;
        Iterations = iterations;
        DualGap = dualGap;
        Converged = converged;
    }

    /// <summary>The options it was fitted with.</summary>
    public MultiTaskElasticNet Options { get; }

    /// <summary>Sweeps over the features that ran (scikit-learn's n_iter_).</summary>
    public int Iterations { get; }

    /// <summary>The duality gap at the end, divided by n (scikit-learn's dual_gap_).</summary>
    public double DualGap { get; }

    /// <summary>False when MaxIterations ran out before the gap fell below the tolerance.</summary>
    public bool Converged { get; }

    /// <summary>The number of targets (tasks).</summary>
    public int Targets => _w.Rows;

    /// <summary>The number of features.</summary>
    public int Features => _w.Columns;

    /// <summary>W of shape (n_targets, n_features) (scikit-learn's coef_).</summary>
    public MtlTensor<double> Coefficients => _w.ToTensor();

    /// <summary>b, one intercept per target.</summary>
    public double[] Intercept => (double[])_intercept.Clone();

    /// <summary>The features with a nonzero column of W: those the L2,1 penalty kept, the same for every task.</summary>
    public int[] SelectedFeatures => [.. Enumerable.Range(0, Features).Where(f => Enumerable.Range(0, Targets).Any(j => _w[j, f] != 0))];

    /// <summary>
    /// Writes the model as safetensors (kind "multitask_elasticnet"): <c>coef_</c> (n_targets, n_features) and
    /// <c>intercept_</c> (n_targets), float64, as scikit-learn's attributes; metadata alpha, l1_ratio, fit_intercept, max_iter,
    /// tol, n_iter, dual_gap, converged. A loaded model predicts exactly as the saved one and can warm-start a new fit.
    /// </summary>
    public void Save(string path)
    {
        ModelFile.Write(path, Kind,
        [
            NdArray.Create("coef_", (double[])_w.Data.Clone(), Targets, Features),
            NdArray.Create("intercept_", (double[])_intercept.Clone(), Targets),
        ], new Dictionary<string, string>
        {
            ["alpha"] = ModelFileArrays.Text(Options.Alpha),
            ["l1_ratio"] = ModelFileArrays.Text(Options.L1Ratio),
            ["fit_intercept"] = ModelFileArrays.Text(Options.FitIntercept),
            ["max_iter"] = ModelFileArrays.Text(Options.MaxIterations),
            ["tol"] = ModelFileArrays.Text(Options.Tolerance),
            ["n_iter"] = ModelFileArrays.Text(Iterations),
            ["dual_gap"] = ModelFileArrays.Text(DualGap),
            ["converged"] = ModelFileArrays.Text(Converged),
        });
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="DataFormatException">When the file is not a "multitask_elasticnet" model or its entries do not fit together.</exception>
    public static MultiTaskElasticNetModel Load(string path)
    {
        var file = ModelFile.Read(path, Kind);
        file.OnlyTensors("coef_", "intercept_");
        var w = file.Matrix("coef_");
        var intercept = file.Vector("intercept_", w.Rows);
        double alpha = file.Real("alpha"), l1Ratio = file.Real("l1_ratio"), tol = file.Real("tol");
        if (!(alpha >= 0) || double.IsInfinity(alpha) || !(l1Ratio >= 0 && l1Ratio <= 1) || !(tol >= 0))
            throw new DataFormatException(path, $"the '{Kind}' model's options are out of range: alpha = {alpha}, l1_ratio = {l1Ratio}, tol = {tol}");
        var options = new MultiTaskElasticNet(alpha, l1Ratio, file.Flag("fit_intercept"), file.Integer("max_iter", min: 1), tol);
        return new MultiTaskElasticNetModel(options, w, intercept, file.Integer("n_iter"), file.Real("dual_gap"), file.Flag("converged"));
    }

    /// <summary>Predictions X·Wᵀ + b, shape (n_samples, n_targets).</summary>
    /// <exception cref="LearnInputException">When X has another number of features.</exception>
    public MtlTensor<double> Predict(MtlTensor<double> x)
    {
        var (n, d, xv) = LearnInput.Matrix(x, "X");
        LearnInput.Features(Features, d, "MultiTaskElasticNet");
        var p = DenseMatrix.Multiply(new DenseMatrix(n, d, xv), _w, Kernels.Gemm.MatrixOp.None, Kernels.Gemm.MatrixOp.Transpose, Parallelism.Sequential);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < Targets; j++) p[i, j] += _intercept[j];
        return p.ToTensor();
    }
}
