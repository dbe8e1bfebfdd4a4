using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// The sufficient statistics of a <see cref="Ridge"/> fit, mergeable (see <see cref="IFitStatistics{TSelf}"/>): of the rows
/// zᵢ = [xᵢ yᵢ] (d + t columns) it keeps n, W = Σ sᵢ, the weighted means X̄, Ȳ and the centred scatter
/// <code>
/// M = Σ sᵢ·(zᵢ − μ)(zᵢ − μ)ᵀ = [ X̃ᵀX̃  X̃ᵀỸ ]      (X̃, Ỹ centred with the weighted means and scaled by √sᵢ,
///                              [ ỸᵀX̃  ỸᵀỸ ]       exactly the reduced problem of the one-shot fit)
/// </code>
/// so <see cref="Fit"/> solves (X̃ᵀX̃ + α_j·I)·w_j = X̃ᵀỹ_j and b = Ȳ − X̄·Wᵀ (without an intercept the uncentred
/// Σ sᵢ·xᵢxᵢᵀ = X̃ᵀX̃ + W·X̄X̄ᵀ is used instead). Memory is (d + t)² numbers whatever the number of rows: the form for data
/// read in pieces (out-of-core) or held on several machines. Statistics are built for one shape and merged in place:
/// <code>
/// var a = new RidgeStatistics(d, t); a.Add(x1, y1); var b = new RidgeStatistics(d, t); b.Add(x2, y2);
/// RidgeModel model = a.Merge(b).Fit(new Ridge(Alpha: 10));   // the model of new Ridge(Alpha: 10).Fit([x1; x2], [y1; y2])
/// </code>
/// </summary>
public sealed class RidgeStatistics : CenteredMomentStatistics<RidgeStatistics>, IFitStatistics<RidgeStatistics>
{
    /// <summary>The kind in the binary format.</summary>
    public const string Kind = "ridge";

    /// <summary>Empty statistics for rows of <paramref name="features"/> features and <paramref name="targets"/> targets.</summary>
    /// <param name="features">d ≥ 1.</param>
    /// <param name="targets">t ≥ 1.</param>
    /// <param name="vectorTarget">True when y is 1-D (t must be 1): the fitted model then predicts 1-D, as after <c>Fit(x, y1D)</c>.</param>
    /// <param name="parallelism">The initial <see cref="Parallelism"/>: threads for the SYRK of each added block; null: all cores.</param>
    /// <exception cref="LearnInputException">When d or t is below 1, or a vector target has t ≠ 1.</exception>
    public RidgeStatistics(int features, int targets = 1, bool vectorTarget = false, Parallelism? parallelism = null)
        : this(features, targets, vectorTarget, new CenteredMoments(Columns(features, targets, vectorTarget)), parallelism)
    {
    }

    private RidgeStatistics(int features, int targets, bool vectorTarget, CenteredMoments moments, Parallelism? parallelism)
        : base(features, targets, moments, parallelism)
    {
        VectorTarget = vectorTarget;
    }

    /// <summary>d + t, the columns of the joined rows, after checking the shape.</summary>
    private static int Columns(int features, int targets, bool vectorTarget)
    {
        if (features < 1 || targets < 1)
            throw new LearnInputException($"Ridge statistics need at least one feature and one target, but got {features} features and {targets} targets.");
        if (vectorTarget && targets != 1)
            throw new LearnInputException($"A 1-D y is one target, but {targets} targets were given with vectorTarget: true.");
        return features + targets;
    }

    /// <summary>Statistics of one block given as tensors: X (n, d), y (n,) or (n, t), sample weights or null.</summary>
    /// <exception cref="LearnInputException">When the shapes disagree, a value is not finite or a weight is negative.</exception>
    public static RidgeStatistics From(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight = null, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank != 2)
            throw new LearnInputException($"X must be of shape (n_samples, n_features), but has shape {MtlTensor<double>.ShapeText(x.Shape)}; reshape a single feature to (n, 1).");
        var statistics = new RidgeStatistics(x.Dim(1), y.Rank == 2 ? y.Dim(1) : 1, y.Rank == 1, parallelism);
        statistics.Add(x, y, sampleWeight);
        return statistics;
    }

    /// <summary>True when the fitted model predicts 1-D (y was 1-D).</summary>
    public bool VectorTarget { get; }


    /// <summary>X̄ = Σ sᵢ·xᵢ / Σ sᵢ, the weighted feature means (zeros while no weight has been added).</summary>
    public double[] FeatureMean => Moments.Mean[..Features];

    /// <summary>Ȳ, the weighted target means.</summary>
    public double[] TargetMean => Moments.Mean[Features..];

    /// <summary>X̃ᵀX̃ = Σ sᵢ·(xᵢ − X̄)(xᵢ − X̄)ᵀ, shape (d, d).</summary>
    public MtlTensor<double> FeatureScatter => Moments.Block(0, Features, 0, Features).ToTensor();

    /// <summary>X̃ᵀỸ = Σ sᵢ·(xᵢ − X̄)(yᵢ − Ȳ)ᵀ, shape (d, t).</summary>
    public MtlTensor<double> CrossScatter => Moments.Block(0, Features, Features, Targets).ToTensor();

    private protected override string Estimator => "Ridge";

    private protected override bool TakesSampleWeights => true;

    /// <summary>Adds the rows of X (n, d) and y (n,) or (n, t), with sample weights (length n) or null for ones.</summary>
    /// <exception cref="LearnInputException">When the shapes disagree with the statistics', a value is not finite or a weight is negative.</exception>
    public void Add(MtlTensor<double> x, MtlTensor<double> y, double[]? sampleWeight = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Rank != 2 || x.Dim(1) != Features)
            throw new LearnInputException($"X must be of shape (n_samples, {Features}), but has shape {MtlTensor<double>.ShapeText(x.Shape)}.");
        if (y.Rank is not (1 or 2) || (y.Rank == 1 ? 1 : y.Dim(1)) != Targets)
            throw new LearnInputException($"y must be of shape (n_samples, {Targets}){(Targets == 1 ? " or (n_samples,)" : "")}, but has shape {MtlTensor<double>.ShapeText(y.Shape)}.");
        if (y.Dim(0) != x.Dim(0))
            throw new LearnInputException($"X has {x.Dim(0)} rows but y has {y.Dim(0)}; pass one target row per sample.");
        Add(LearnInput.ElementSpan(x), LearnInput.ElementSpan(y), sampleWeight);
    }

    private protected override void CheckMergeable(RidgeStatistics other)
    {
        if (other.Features != Features || other.Targets != Targets || other.VectorTarget != VectorTarget)
            throw new LearnInputException($"Cannot merge ridge statistics of {other.Features} features and {other.Targets} targets{(other.VectorTarget ? " (1-D y)" : "")} into ones of {Features} features and {Targets} targets{(VectorTarget ? " (1-D y)" : "")}.");
    }

    /// <inheritdoc/>
    public RidgeStatistics Copy() => new(Features, Targets, VectorTarget, Moments.Copy(), Parallelism);

    /// <summary>
    /// The ridge model of the rows added so far, equal to <c>options.Fit(X, y, sampleWeight)</c> on all of them (to rounding).
    /// The normal equations are solved by Cholesky, one factorization per distinct α; when X̃ᵀX̃ + αI is not positive definite
    /// (α = 0 and rank-deficient X) by the eigendecomposition X̃ᵀX̃ = Q·Λ·Qᵀ, w_j = Q·diag(1/(λ + α_j))·Qᵀ·X̃ᵀỹ_j with
    /// λ + α below d·ε·λ_max dropped: the minimum-norm solution the SVD route gives. Solver Eigen and Svd take the
    /// eigendecomposition route directly (the SVD of X needs its rows); ConjugateGradient is solved by Cholesky. The report
    /// says which ran.
    /// </summary>
    /// <exception cref="LearnInputException">When no rows (or no weight) were added, or the options' α do not fit the targets.</exception>
    public RidgeModel Fit(Ridge options)
    {
        ArgumentNullException.ThrowIfNull(options);
        StatisticsInput.HasWeight(Rows, WeightSum, "Ridge");
        var alphas = options.TargetAlphas(Targets);
        var (gram, xty, xOffset, yOffset) = NormalEquations(options.FitIntercept);
        var (w, report) = Solve(gram, xty, alphas, options.Solver, options.Parallelism ?? TensorParallelism.Current);
        var intercept = options.FitIntercept ? RidgeProblem.Intercept(w, xOffset, yOffset) : new double[Targets];
        return new RidgeModel(options, alphas, w, intercept, VectorTarget, report);
    }

    /// <summary>X̃ᵀX̃ (d, d) and X̃ᵀỸ (d, t) of the reduced problem, X̄ and Ȳ (zeros without an intercept).</summary>
    internal (DenseMatrix Gram, DenseMatrix Xty, double[] XOffset, double[] YOffset) NormalEquations(bool fitIntercept) =>
        NormalEquations(Moments, Features, Targets, fitIntercept);

    internal static (DenseMatrix Gram, DenseMatrix Xty, double[] XOffset, double[] YOffset) NormalEquations(CenteredMoments moments, int d, int t, bool fitIntercept) =>
        fitIntercept
            ? (moments.Block(0, d, 0, d), moments.Block(0, d, d, t), moments.Mean[..d], moments.Mean[d..])
            : (moments.RawBlock(0, d, 0, d), moments.RawBlock(0, d, d, t), new double[d], new double[t]);

    internal static (DenseMatrix W, RidgeFitReport Report) Solve(DenseMatrix gram, DenseMatrix xty, double[] alphas, RidgeSolver requested, Parallelism parallelism)
    {
        if (requested is RidgeSolver.Eigen or RidgeSolver.Svd)
        {
            string? note = requested == RidgeSolver.Svd ? "The SVD of X needs its rows; the eigendecomposition of the scatter X̃ᵀX̃ gives the same minimum-norm solution." : null;
            return (Ridge.SolveGramEigen(gram, xty, alphas, parallelism), new RidgeFitReport(requested, RidgeSolver.Eigen, note, null, true));
        }
        string? fallback = requested == RidgeSolver.ConjugateGradient ? "Conjugate gradients need the rows; the normal equations were solved by Cholesky." : null;
        try
        {
            return (Ridge.SolveNormalEquations(gram.ReadOnlySpan, xty.ReadOnlySpan, alphas, parallelism), new RidgeFitReport(requested, RidgeSolver.Cholesky, fallback, null, true));
        }
        catch (NotPositiveDefiniteException e)
        {
            fallback = $"Cholesky failed ({e.Message}); solved by the eigendecomposition of X̃ᵀX̃ instead.";
            return (Ridge.SolveGramEigen(gram, xty, alphas, parallelism), new RidgeFitReport(requested, RidgeSolver.Eigen, fallback, null, true));
        }
    }

    /// <inheritdoc/>
    public void Save(Stream stream) => FitStatisticsFormat.Write(stream, Kind, writer =>
    {
        writer.Write(Features);
        writer.Write(Targets);
        writer.Write(VectorTarget);
        Moments.Write(writer);
    });

    /// <inheritdoc/>
    public static RidgeStatistics Load(Stream stream) => FitStatisticsFormat.Read(stream, Kind, reader =>
    {
        int d = reader.Count("the feature count", 1 << 16);
        int t = reader.Count("the target count", 1 << 16);
        bool vector = reader.Flag("the 1-D target flag");
        if (d < 1 || t < 1 || (vector && t != 1))
            throw new Data.DataFormatException(reader.Source, $"{d} features and {t} targets{(vector ? " with a 1-D y" : "")} is not a ridge shape");
        return new RidgeStatistics(d, t, vector, CenteredMoments.Read(reader, d + t), null);
    });
}
