using System.Globalization;
using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>The factorization a <see cref="Pca"/> fit takes.</summary>
public enum PcaSolver
{
    /// <summary>
    /// Let the fit choose, as scikit-learn 1.2 does with one addition (from scikit-learn 1.5): <see cref="Full"/> when
    /// max(n, d) ≤ 500 or a variance fraction is asked for; else <see cref="Covariance"/> when d ≤ 1000 and n ≥ 10·d
    /// (tall data: one pass of XᵀX then a d×d eigenproblem is the cheapest exact route, and for n ≫ d its accuracy
    /// loss — eigenvalues to an absolute ε·λ_max instead of ε·σ_max·σ — does not touch the leading components);
    /// else <see cref="Randomized"/> when 1 ≤ k &lt; 0.8·min(n, d); else <see cref="Full"/>.
    /// </summary>
    Auto,
    /// <summary>
    /// The thin SVD of the centred X (scikit-learn's "full"): exact, the reference. For n ≥ d it runs as X = Q·R, R = Ũ·Σ·Vᵀ,
    /// forming only the k kept columns of U = Q·Ũ. With <see cref="Pca.CovarianceRoute"/> set (off by default), on tall data
    /// (n ≥ 10·d, d ≤ 1000, k &lt; d) it takes the covariance route instead when a Davis–Kahan bound shows it as exact as the
    /// SVD for the kept components (error ≤ 1e-10); the fit report's Route says which ran.
    /// </summary>
    Full,
    /// <summary>The eigendecomposition of the covariance C = XᵀX/(n − 1) of the centred X (scikit-learn ≥ 1.5's "covariance_eigh"): fastest for n ≫ d.</summary>
    Covariance,
    /// <summary>The randomized truncated SVD of Halko, Martinsson and Tropp (<see cref="RandomizedSvd"/>), seeded: fast for k ≪ min(n, d).</summary>
    Randomized,
}

/// <summary>
/// Principal component analysis, as scikit-learn's <c>PCA</c>: with X̄ the column means and X_c = X − X̄,
/// <code>
/// X_c = U·Σ·Vᵀ                          (thin SVD, σ₀ ≥ σ₁ ≥ …)
/// components_               = first k rows of Vᵀ                  (k × d)
/// explained_variance_       = σᵢ² / (n − 1)                        (the eigenvalues of the covariance XᵀX/(n − 1))
/// explained_variance_ratio_ = σᵢ² / ‖X_c‖_F²
/// noise_variance_           = mean of the variances left out       (0 when k = min(n, d))
/// transform(x)              = (x − X̄)·Vₖ  [ / √explained_variance_ when whitening ]
/// </code>
/// Sign convention (scikit-learn 1.2's <c>svd_flip</c>, u-based): the entry of largest magnitude of each column of U —
/// the scores of the training samples on that component — is positive. All solvers apply it, so they return the same
/// components. The options record is the estimator: <c>new Pca(Components: 16).Fit(x)</c>.
/// </summary>
/// <param name="Components">k, the number of components to keep (0 ≤ k ≤ min(n, d); at least 1 for the randomized solver), or null for all min(n, d).</param>
/// <param name="VarianceFraction">Instead of <paramref name="Components"/>: keep the fewest components whose explained variance ratio sums to more than this fraction (0 &lt; f &lt; 1; scikit-learn's float n_components). Needs the full or covariance solver.</param>
/// <param name="Whiten">Divide the transformed components by √explained_variance so that each has unit variance (default false).</param>
/// <param name="Solver">The solver (default <see cref="PcaSolver.Auto"/>).</param>
/// <param name="Seed">The seed of the randomized solver's Gaussian test matrix.</param>
/// <param name="Oversamples">Extra random directions of the randomized solver (default 10, as scikit-learn).</param>
/// <param name="PowerIterations">Power iterations of the randomized solver, or null for scikit-learn's rule: 7 when k &lt; 0.1·min(n, d), else 4.</param>
/// <param name="CovarianceRoute">Let the full solver take the covariance route on tall data when it is provably as exact (default false: the full solver always runs the SVD; see <see cref="PcaSolver.Full"/>).</param>
/// <param name="Parallelism">Threads for the GEMMs and factorizations.</param>
public sealed record Pca(
    int? Components = null,
    double? VarianceFraction = null,
    bool Whiten = false,
    PcaSolver Solver = PcaSolver.Auto,
    ulong Seed = 0,
    int Oversamples = 10,
    int? PowerIterations = null,
    bool CovarianceRoute = false,
    Parallelism? Parallelism = null)
{
    /// <summary>Fits the principal components of X.</summary>
    /// <param name="x">X of shape (n_samples, n_features).</param>
    /// <exception cref="LearnInputException">When X is empty or not finite, or the number of components is out of range.</exception>
    public PcaModel Fit(MtlTensor<double> x)
    {
        ArgumentNullException.ThrowIfNull(x, "X");
        if (x.Rank != 2) LearnInput.Matrix(x, "X");   // throws the shape error
        int n = x.Dim(0), d = x.Dim(1);
        LearnInput.NotEmpty(n, "X");
        // The centred copy of X is the fit's largest temporary (n·d): it lives on a pooled array, so repeated fits reuse
        // mapped memory instead of faulting in a fresh copy each time; nothing returned points into it.
        using var xc = new PooledMatrix(n, d, clear: false);
        if (x.IsContiguous && x.Storage is CpuStorage<double>) x.AsSpan().CopyTo(xc.Elements);
        else x.ToArray().CopyTo(xc.Elements);
        LearnInput.FiniteByChunks(xc.Elements, d, "X");
        return Fit(xc.Span);
    }

    /// <summary>Fits and returns the transformed training data (n_samples, k) beside the model, as scikit-learn's <c>fit_transform</c>.</summary>
    public (PcaModel Model, MtlTensor<double> Scores) FitTransform(MtlTensor<double> x)
    {
        var model = Fit(x);
        return (model, model.Transform(x));
    }

    /// <summary>The solver <see cref="PcaSolver.Auto"/> resolves to for X of shape (n, d) and k components (the rule is in <see cref="PcaSolver.Auto"/>).</summary>
    public static PcaSolver ResolveAuto(int n, int d, int k, bool varianceFraction)
    {
        if (Math.Max(n, d) <= 500 || varianceFraction) return PcaSolver.Full;
        if (d <= 1000 && (long)n >= 10L * d) return PcaSolver.Covariance;
        if (k >= 1 && k < 0.8 * Math.Min(n, d)) return PcaSolver.Randomized;
        return PcaSolver.Full;
    }

    /// <summary>Fits on a matrix that the fit may overwrite (it is centred in place).</summary>
    internal PcaModel Fit(DenseMatrix x) => Fit(x.Span);

    /// <summary>Fits on a matrix (contiguous rows) that the fit may overwrite: it is centred and, by the full solver, factored in place.</summary>
    internal PcaModel Fit(MatrixSpan<double> x)
    {
        if (x.ColumnStride != 1 || x.RowStride != x.Columns)
            throw new ArgumentException("PCA fits a matrix stored row after row (row stride = columns, column stride 1).", nameof(x));
        int n = x.Rows, d = x.Columns, rank = Math.Min(n, d);
        if (VarianceFraction is double f && !(f > 0 && f < 1))
            throw new LearnInputException($"VarianceFraction must be between 0 and 1 (exclusive), but got {f}; pass an integer Components for a fixed count.");
        if (VarianceFraction is not null && Components is not null)
            throw new LearnInputException("Pass either Components or VarianceFraction, not both.");
        int k = Components ?? rank;
        if (k < 0 || k > rank)
            throw new LearnInputException($"Components = {k} must be between 0 and min(n_samples, n_features) = {rank} for X of shape ({n}, {d}); ask for at most {rank} components.");
        ArgumentOutOfRangeException.ThrowIfNegative(Oversamples);
        if (PowerIterations is < 0)
            throw new ArgumentOutOfRangeException(nameof(PowerIterations), PowerIterations, "PowerIterations must be ≥ 0.");

        var solver = Solver == PcaSolver.Auto ? ResolveAuto(n, d, k, VarianceFraction is not null) : Solver;
        if (VarianceFraction is not null && solver == PcaSolver.Randomized)
            throw new LearnInputException("A VarianceFraction needs every component's variance: use the full or covariance solver, or pass an integer Components.");
        if (solver == PcaSolver.Randomized && k < 1)
            throw new LearnInputException($"The randomized solver needs Components ≥ 1 (got {k}).");

        var mean = ColumnMeans(x);
        if (!mean.All(double.IsFinite))
            throw new LearnInputException("X's column sums overflow (values near ±1.8e308); divide X by a constant before the fit.");
        double largest = CenterAndLargest(x, mean);
        double unscale = ScaleToUnitRange(x, largest);
        // Every solver writes the kept components V (d × kFit) and, for the sign convention, the training scores U·Σ = X_c·V
        // (n × kFit); both are scratch on pooled arrays (the model keeps a copy of Vᵀ). The full solver factors X_c in place
        // (Householder QR): X is not read after the solver.
        int kFit = solver == PcaSolver.Randomized || VarianceFraction is null ? k : rank;
        using var scores = new PooledMatrix(n, kFit, clear: false);
        using var vFit = new PooledMatrix(d, kFit, clear: false);
        string? route = null;
        var parallelism = Parallelism ?? TensorParallelism.Current; // null: the ambient default (see Parallelism)
        Decomposition result = solver switch
        {
            PcaSolver.Full => CovarianceRoute ? SolveFullOrCovariance(x, kFit, scores.Span, vFit.Span, parallelism, out route) : SolveFull(x, kFit, scores.Span, vFit.Span, parallelism),
            PcaSolver.Covariance => SolveCovariance(x, kFit, scores.Span, vFit.Span, parallelism),
            PcaSolver.Randomized => SolveRandomized(x, k, scores.Span, vFit.Span, Oversamples, PowerIterations ?? (k < 0.1 * rank ? 7 : 4), Seed, parallelism),
            _ => throw new ArgumentOutOfRangeException(nameof(Solver), Solver, "Unknown PCA solver."),
        };
        // svd_flip (u-based): the largest-magnitude score of each component is positive (SignConvention.Apply's flips,
        // walking the scores row by row).
        LinearAlgebra.Svd.ApplySignConvention(scores.Span, vFit.Span);

        // Variances in the scaled units (X_c / unscale); their ratios are scale-free, the variances and σ are scaled back below.
        double denominator = Math.Max(n - 1, 1);
        double totalVariance = result.TotalSumOfSquares / denominator;
        var allVariance = result.Sigma.Select(s => s * s / denominator).ToArray();
        if (VarianceFraction is double fraction)
        {
            // scikit-learn: k = searchsorted(cumsum(ratio), f, side="right") + 1, capped at min(n, d).
            double cumulative = 0;
            k = 0;
            while (k < allVariance.Length && cumulative <= fraction)
                cumulative += allVariance[k++] / totalVariance;
        }

        double noise;
        if (k >= rank) noise = 0;
        else if (result.AllVariances)
            noise = allVariance[k..rank].Average();  // the mean of the variances left out
        else
            noise = (totalVariance - allVariance[..k].Sum()) / (rank - k);  // (total − kept) / (min(n, d) − k)

        var components = new DenseMatrix(k, d);
        for (int j = 0; j < k; j++)
            for (int f2 = 0; f2 < d; f2++) components[j, f2] = vFit[f2, j];
        var ratio = allVariance[..k].Select(v => totalVariance > 0 ? v / totalVariance : 0).ToArray();
        var variance = allVariance[..k].Select(v => v * unscale * unscale).ToArray();
        var sigma = result.Sigma[..k].Select(s => s * unscale).ToArray();
        noise *= unscale * unscale;
        var report = new PcaFitReport(Solver, solver, solver == PcaSolver.Randomized ? PowerIterations ?? (k < 0.1 * rank ? 7 : 4) : null, route);
        return new PcaModel(components, variance, ratio, sigma, mean, noise, Whiten, n, report, parallelism);
    }

    /// <summary>
    /// X ← X − 1·meanᵀ row by row (as <see cref="Center(MatrixSpan{double}, ReadOnlySpan{double})"/>), returning the largest
    /// |x| of the centred X from the same pass while each row is in cache (one pass over the n·d copy instead of two).
    /// </summary>
    private static double CenterAndLargest(MatrixSpan<double> x, ReadOnlySpan<double> mean)
    {
        double largest = 0;
        if (x.Columns == 0) return largest;
        for (int i = 0; i < x.Rows; i++)
        {
            var row = Row(x, i);
            Dense.Axpy(-1, mean, row);
            largest = Math.Max(largest, Math.Abs(System.Numerics.Tensors.TensorPrimitives.MaxMagnitude<double>(row)));
        }
        return largest;
    }

    /// <summary>
    /// Scales the centred X by a power of two (exact) when its largest |x| is below 2⁻³⁰⁰ or above 2³⁰⁰, and returns the
    /// factor that undoes it (1 when nothing was done). Without it the SVD of subnormal data meets 0/0 (a Householder norm
    /// underflows to zero) and that of data near 1e300 overflows; LAPACK, which scikit-learn calls, scales the same way.
    /// <paramref name="largest"/> is the largest |x| of the centred X.
    /// </summary>
    private static double ScaleToUnitRange(MatrixSpan<double> x, double largest)
    {
        if (largest == 0 || (largest >= Math.ScaleB(1.0, -300) && largest <= Math.ScaleB(1.0, 300))) return 1;
        int exponent = Math.ILogB(largest);
        // ScaleB per element: 2^-exponent itself overflows for subnormal data (exponent < -1023).
        for (int i = 0; i < x.Rows; i++)
        {
            Span<double> row = Row(x, i);
            for (int j = 0; j < row.Length; j++) row[j] = Math.ScaleB(row[j], -exponent);
        }
        return Math.ScaleB(1.0, exponent);
    }

    /// <summary>The σᵢ (all of them when <see cref="AllVariances"/>) and ‖X_c‖_F²; the solver wrote the kept right singular vectors V (d × k) and the scores X_c·V (n × k) into the caller's storage.</summary>
    private sealed record Decomposition(double[] Sigma, double TotalSumOfSquares, bool AllVariances);

    /// <summary>The accuracy the full solver asks of the covariance route before it takes it (see <see cref="SolveFullOrCovariance"/>).</summary>
    internal const double CovarianceRouteTolerance = 1e-10;

    // The full solver on tall data (n ≥ 10·d, d ≤ 1000, k < min(n, d)) first tries the covariance route, which is several
    // times cheaper than any SVD of the n × d matrix, and keeps it only when it is as exact as the SVD for the k kept
    // components. Forming C = X_cᵀX_c and its eigendecomposition perturb C by ‖E‖ ≈ (d + √n)·ε·λ₁; by Davis–Kahan each
    // eigenvector then moves by at most ‖E‖/gapⱼ (gapⱼ = distance from λⱼ to its neighbours λⱼ₋₁, λⱼ₊₁, the first one left
    // out included) and each λⱼ by ‖E‖. When max ‖E‖/gapⱼ ≤ 1e-10 the components and variances agree with the SVD's to
    // about 1e-10 (relative) and the route is kept; otherwise (close or repeated eigenvalues among the kept ones, a
    // variance fraction, or all components asked) the exact QR + SVD of R runs. The report says which ran and why.
    private static Decomposition SolveFullOrCovariance(MatrixSpan<double> xc, int k, MatrixSpan<double> scores, MatrixSpan<double> v, Parallelism parallelism, out string? route)
    {
        int n = xc.Rows, d = xc.Columns;
        route = null;
        if (!(d <= 1000 && (long)n >= 10L * d && k < d && k >= 1))
            return SolveFull(xc, k, scores, v, parallelism);
        var covariance = SolveCovariance(xc, k, scores, v, parallelism);
        var lambda = covariance.Sigma.Select(s => s * s).ToArray();  // descending
        double perturbation = (d + Math.Sqrt(n)) * MachineEpsilon.Double * lambda[0];
        double bound = 0;
        for (int j = 0; j < k; j++)
        {
            double gap = lambda[j] - lambda[j + 1];
            if (j > 0) gap = Math.Min(gap, lambda[j - 1] - lambda[j]);
            bound = Math.Max(bound, gap > 0 ? perturbation / gap : double.PositiveInfinity);
        }
        string figure = bound.ToString("E1", CultureInfo.InvariantCulture);
        if (bound <= CovarianceRouteTolerance)
        {
            route = $"covariance route (tall X): eigenvector error bound {figure} ≤ 1e-10, as exact as the SVD for the kept components";
            return covariance;
        }
        route = $"QR + SVD of R: the covariance route's eigenvector error bound {figure} exceeds 1e-10";
        return SolveFull(xc, k, scores, v, parallelism);
    }

    // X_c = U·Σ·Vᵀ. Tall X (n ≥ d): X_c = Q·R (Householder), R = Ũ·Σ·Vᵀ (d × d), U = Q·[Ũ; 0] formed for the k kept columns only
    // (scores U·Σ); the m-sized work is one blocked QR instead of an SVD of the whole n × d matrix. X_c is factored in place
    // (it is the fit's own copy) and the d × d work is pooled: the fresh arrays are the outputs, scores (n × k) and V (d × k).
    private static Decomposition SolveFull(MatrixSpan<double> xc, int k, MatrixSpan<double> scores, MatrixSpan<double> v, Parallelism parallelism)
    {
        int n = xc.Rows, d = xc.Columns;
        double total = SumOfSquares(xc);
        double[] sigma;
        if (n >= d)
        {
            var tau = new double[d];
            var blockT = Qr.FactorInPlace(xc, tau, parallelism);
            // R = Ũ·Σ·Vᵀ as Svd.Compute(R) does it (a square R takes no second QR), with Ũ and V on pooled arrays.
            using var r = new PooledMatrix(d, d, clear: false);
            using var ur = new PooledMatrix(d, d);
            using var vr = new PooledMatrix(d, d);
            Qr.CopyR(xc, r.Span);
            sigma = LinearAlgebra.Svd.ComputeInPlace(r.Span, ur.Span, vr.Span, parallelism);
            LinearAlgebra.Svd.ApplySignConvention(ur.Span, vr.Span);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++) scores[i, j] = i < d ? ur[i, j] : 0;   // [Ũₖ; 0]
            Qr.ApplyQ(xc, tau, blockT, Qr.DefaultBlockSize, scores, transpose: false, parallelism);
            for (int i = 0; i < d; i++)
                for (int j = 0; j < k; j++) v[i, j] = vr[i, j];
        }
        else
        {
            var svd = LinearAlgebra.Svd.Compute(ToDense(xc), parallelism);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++) scores[i, j] = svd.U[i, j];
            for (int i = 0; i < d; i++)
                for (int j = 0; j < k; j++) v[i, j] = svd.V[i, j];
            sigma = svd.SingularValues;
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) scores[i, j] *= sigma[j];
        return new Decomposition(sigma, total, AllVariances: true);
    }

    // C = X_cᵀX_c (lower triangle by SYRK) = W·Λ·Wᵀ, eigenvalues descending; σᵢ = √max(λᵢ, 0), V = W. Exact up to the
    // squared condition: λᵢ carries an absolute error of about ε·λ_max, so components with λᵢ ≫ ε·λ_max are as accurate as
    // the SVD's, and the tail below √ε·σ_max is not resolved (its variance is below 1e-16 of the largest; negative
    // eigenvalues from rounding are clipped to zero as scikit-learn does).
    private static Decomposition SolveCovariance(MatrixSpan<double> xc, int k, MatrixSpan<double> scores, MatrixSpan<double> v, Parallelism parallelism)
    {
        int n = xc.Rows, d = xc.Columns;
        var gram = new DenseMatrix(d, d);
        LinearAlgebra.Syrk.Update(1.0, xc.AsReadOnly(), 0.0, gram.Span, OtherTriangle.Clobbered, parallelism);   // XᵀX
        var eigen = SymmetricEigen.Compute(gram, true, parallelism);
        int rank = Math.Min(n, d);
        var sigma = new double[rank];
        for (int j = 0; j < rank; j++)
            sigma[j] = Math.Sqrt(Math.Max(eigen.Values[d - 1 - j], 0));
        for (int i = 0; i < d; i++)
            for (int j = 0; j < k; j++) v[i, j] = eigen.Vectors![i, d - 1 - j];
        MatrixProduct.Multiply(1.0, xc, MatrixOp.None, v, MatrixOp.None, 0.0, scores, parallelism);
        double total = 0;
        for (int i = 0; i < d; i++) total += gram[i, i];
        return new Decomposition(sigma, total, AllVariances: true);
    }

    // X_c ≈ U·Σ·Vᵀ for the k leading triplets by the randomized SVD (RandomizedSvd: k + p random directions, q power
    // iterations, normalized between half steps). As scikit-learn, a wide X_c (n < d) is factored as its transpose.
    private static Decomposition SolveRandomized(MatrixSpan<double> xc, int k, MatrixSpan<double> scores, MatrixSpan<double> v, int oversamples, int powerIterations, ulong seed, Parallelism parallelism)
    {
        int n = xc.Rows;
        double total = SumOfSquares(xc);
        double[] sigma = n >= xc.Columns
            ? RandomizedSvd.Compute(xc, k, oversamples, powerIterations, seed, scores, v, parallelism).Sigma
            : RandomizedSvd.Compute(ToDense(xc).Transpose().ReadOnlySpan, k, oversamples, powerIterations, seed, v, scores, parallelism).Sigma;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < k; j++) scores[i, j] *= sigma[j];
        return new Decomposition(sigma, total, AllVariances: false);
    }

    private static DenseMatrix ToDense(MatrixSpan<double> x)
    {
        var copy = new DenseMatrix(x.Rows, x.Columns);
        LinearAlgebra.Svd.CopyRows(x, copy.Span);
        return copy;
    }

    internal static double[] ColumnMeans(DenseMatrix x)
    {
        var mean = new double[x.Columns];
        for (int i = 0; i < x.Rows; i++) Dense.Axpy(1, x.Row(i), mean);
        Dense.Scale(1.0 / Math.Max(x.Rows, 1), mean);
        return mean;
    }

    internal static void Center(DenseMatrix x, ReadOnlySpan<double> mean)
    {
        for (int i = 0; i < x.Rows; i++) Dense.Axpy(-1, mean, x.Row(i));
    }

    internal static double[] ColumnMeans(MatrixSpan<double> x)
    {
        var mean = new double[x.Columns];
        for (int i = 0; i < x.Rows; i++) Dense.Axpy(1, Row(x, i), mean);
        Dense.Scale(1.0 / Math.Max(x.Rows, 1), mean);
        return mean;
    }

    internal static void Center(MatrixSpan<double> x, ReadOnlySpan<double> mean)
    {
        for (int i = 0; i < x.Rows; i++) Dense.Axpy(-1, mean, Row(x, i));
    }

    private static Span<double> Row(MatrixSpan<double> x, int i) => x.Data.Slice(x.Offset + i * x.RowStride, x.Columns);

    // ‖X‖_F² over the n·d elements in row order (rows contiguous, one after another, as in a DenseMatrix).
    private static double SumOfSquares(MatrixSpan<double> x)
    {
        double s = Dense.Norm2(x.Data.Slice(x.Offset, x.Rows * x.Columns));
        return s * s;
    }
}

/// <summary>What a <see cref="Pca"/> fit did.</summary>
/// <param name="Requested">The solver asked for.</param>
/// <param name="Solver">The solver that ran (<see cref="PcaSolver.Auto"/> resolved).</param>
/// <param name="PowerIterations">The randomized solver's power iterations, or null for the other solvers.</param>
/// <param name="Route">For the full solver on tall data: which route ran (covariance when its error bound allowed, else QR + SVD) and why; null otherwise.</param>
public sealed record PcaFitReport(PcaSolver Requested, PcaSolver Solver, int? PowerIterations, string? Route = null);

/// <summary>A fitted <see cref="Pca"/> (or <see cref="IncrementalPca"/>) model: transform(x) = (x − mean)·componentsᵀ, whitened if asked.</summary>
public sealed class PcaModel
{
    /// <summary>The model kind in a model file.</summary>
    public const string Kind = "pca";

    private readonly DenseMatrix _components;
    private readonly double[] _explainedVariance, _ratio, _singularValues, _mean;
    private readonly Parallelism _parallelism;

    internal PcaModel(DenseMatrix components, double[] explainedVariance, double[] ratio, double[] singularValues, double[] mean,
        double noiseVariance, bool whiten, int samples, PcaFitReport report, Parallelism parallelism)
    {
        _components = components;
        _explainedVariance = explainedVariance;
        _ratio = ratio;
        _singularValues = singularValues;
        _mean = mean;
        NoiseVariance = noiseVariance;
        Whiten = whiten;
        Samples = samples;
        Report = report;
        _parallelism = parallelism;
    }

    /// <summary>What ran.</summary>
    public PcaFitReport Report { get; }

    internal double[] MeanArray => _mean;

    internal double[] SingularValuesArray => _singularValues;

    internal DenseMatrix ComponentsMatrix => _components;

    /// <summary>k, the number of components kept.</summary>
    public int ComponentCount => _components.Rows;

    /// <summary>d, the number of features.</summary>
    public int Features => _components.Columns;

    /// <summary>n, the number of training samples.</summary>
    public int Samples { get; }

    /// <summary>Whether <see cref="Transform"/> whitens.</summary>
    public bool Whiten { get; }

    /// <summary>The principal axes, shape (k, n_features), rows of unit norm in order of decreasing variance (scikit-learn's components_).</summary>
    public MtlTensor<double> Components => _components.ToTensor();

    /// <summary>The variance along each component, σᵢ²/(n − 1), length k.</summary>
    public double[] ExplainedVariance => (double[])_explainedVariance.Clone();

    /// <summary>The fraction of the total variance along each component, length k.</summary>
    public double[] ExplainedVarianceRatio => (double[])_ratio.Clone();

    /// <summary>The singular values σᵢ of the centred X, length k.</summary>
    public double[] SingularValues => (double[])_singularValues.Clone();

    /// <summary>The per-feature mean of the training data, length n_features.</summary>
    public double[] Mean => (double[])_mean.Clone();

    /// <summary>The probabilistic-PCA noise variance (Tipping and Bishop 1999): the mean variance of the components left out, 0 when all are kept.</summary>
    public double NoiseVariance { get; }

    /// <summary>(x − mean)·componentsᵀ, divided by √explained_variance when whitening: shape (n_samples, k).</summary>
    /// <exception cref="LearnInputException">When X has another number of features or is not finite.</exception>
    public MtlTensor<double> Transform(MtlTensor<double> x)
    {
        var (n, d, xv) = LearnInput.Matrix(x, "X");
        LearnInput.Features(Features, d, "PCA");
        LearnInput.Finite(xv, d, "X");
        var xc = new DenseMatrix(n, d, xv);
        Pca.Center(xc, _mean);
        var scores = DenseMatrix.Multiply(xc, _components, MatrixOp.None, MatrixOp.Transpose, _parallelism);
        if (Whiten)
            for (int i = 0; i < n; i++)
            {
                var row = scores.Row(i);
                for (int j = 0; j < row.Length; j++) row[j] /= Math.Sqrt(_explainedVariance[j]);
            }
        return scores.ToTensor();
    }

    /// <summary>Back to feature space: z·(√explained_variance ⊙ components) + mean when whitened, z·components + mean otherwise; shape (n_samples, n_features). Exact when all components are kept.</summary>
    /// <exception cref="LearnInputException">When Z does not have k columns.</exception>
    public MtlTensor<double> InverseTransform(MtlTensor<double> z)
    {
        var (n, k, zv) = LearnInput.Matrix(z, "Z");
        if (k != ComponentCount)
            throw new LearnInputException($"Z has {k} columns but the PCA keeps {ComponentCount} components; pass the output of Transform.");
        var basis = _components.Clone();
        if (Whiten)
            for (int j = 0; j < basis.Rows; j++) Dense.Scale(Math.Sqrt(_explainedVariance[j]), basis.Row(j));
        var x = DenseMatrix.Multiply(new DenseMatrix(n, k, zv), basis, MatrixOp.None, MatrixOp.None, _parallelism);
        for (int i = 0; i < n; i++) Dense.Axpy(1, _mean, x.Row(i));
        return x.ToTensor();
    }

    /// <summary>Writes the model (kind "pca"): tensors components_, explained_variance_, explained_variance_ratio_, singular_values_, mean_, noise_variance_; metadata whiten, solver, n_samples.</summary>
    public void Save(string path)
    {
        var tensors = new List<NdArray>
        {
            NdArray.Create("components_", (double[])_components.Data.Clone(), ComponentCount, Features),
            NdArray.Create("explained_variance_", ExplainedVariance, ComponentCount),
            NdArray.Create("explained_variance_ratio_", ExplainedVarianceRatio, ComponentCount),
            NdArray.Create("singular_values_", SingularValues, ComponentCount),
            NdArray.Create("mean_", Mean, Features),
            NdArray.Create("noise_variance_", [NoiseVariance], 1),
        };
        var metadata = new Dictionary<string, string>
        {
            ["whiten"] = Whiten ? "true" : "false",
            ["solver"] = Report.Solver.ToString().ToLowerInvariant(),
            ["requested_solver"] = Report.Requested.ToString().ToLowerInvariant(),
            ["n_samples"] = Samples.ToString(CultureInfo.InvariantCulture),
        };
        ModelFile.Write(path, Kind, tensors, metadata);
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="DataFormatException">When the file is not a "pca" model or its arrays do not fit together.</exception>
    public static PcaModel Load(string path, Parallelism? parallelism = null)
    {
        var file = ModelFile.Read(path, Kind);
        file.OnlyTensors("components_", "explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_", "noise_variance_");
        var components = file.Matrix("components_");
        int k = components.Rows, d = components.Columns;
        if (k > d)
            throw new DataFormatException(path, $"the 'pca' model's components_ has shape ({k}, {d}); a PCA keeps at most n_features components");
        var variance = file.Vector("explained_variance_", k);
        var ratio = file.Vector("explained_variance_ratio_", k);
        var singular = file.Vector("singular_values_", k);
        double noise = file.Vector("noise_variance_", 1)[0];
        if (variance.Concat(ratio).Concat(singular).Append(noise).Any(v => v < 0))
            throw new DataFormatException(path, "the 'pca' model's explained_variance_, explained_variance_ratio_, singular_values_ and noise_variance_ must be ≥ 0");
        string[] solvers = Enum.GetNames<PcaSolver>().Select(n => n.ToLowerInvariant()).ToArray();
        var solver = Enum.Parse<PcaSolver>(file.Choice("solver", solvers), ignoreCase: true);
        var requested = file.Metadata.ContainsKey("requested_solver") ? Enum.Parse<PcaSolver>(file.Choice("requested_solver", solvers), ignoreCase: true) : solver;
        return new PcaModel(components, variance, ratio, singular, file.Vector("mean_", d), noise, file.Flag("whiten"),
            file.Integer("n_samples", min: 1), new PcaFitReport(requested, solver, null), parallelism ?? TensorParallelism.Current);
    }
}
