using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// The sufficient statistics of a <see cref="Pca"/> fit by the covariance route, mergeable (see
/// <see cref="IFitStatistics{TSelf}"/>): n, the column means X̄ and the centred scatter M = X_cᵀX_c = Σ (xᵢ − X̄)(xᵢ − X̄)ᵀ
/// (d×d, whatever n). <see cref="Fit"/> is scikit-learn's "covariance_eigh": M = W·Λ·Wᵀ, σᵢ = √max(λᵢ, 0), the components
/// the leading eigenvectors, explained_variance_ = λᵢ/(n − 1). It serves <see cref="IncrementalPca"/>'s use (data seen in
/// pieces) with the exact result: IncrementalPCA's own updates truncate to k components after every batch, so two of its
/// partial models cannot be merged exactly; these statistics can.
/// <para>
/// Sign convention: the rows are not kept, so the u-based rule of the one-shot fit (the largest training score of each
/// component is positive) cannot be applied; the v-based rule is used instead (scikit-learn ≥ 1.5's for PCA): the entry of
/// largest magnitude of each component (the first on a tie) is positive. A component can therefore be the negative of the
/// one-shot fit's; its variance, the subspace and every other fitted value are the same.
/// </para>
/// </summary>
public sealed class PcaStatistics : CenteredMomentStatistics<PcaStatistics>, IFitStatistics<PcaStatistics>
{
    /// <summary>The kind in the binary format.</summary>
    public const string Kind = "pca";

    /// <summary>Empty statistics for rows of <paramref name="features"/> features.</summary>
    /// <param name="features">d ≥ 1.</param>
    /// <param name="parallelism">The initial <see cref="Parallelism"/>: threads for the SYRK of each added block; null: all cores.</param>
    /// <exception cref="LearnInputException">When d is below 1.</exception>
    public PcaStatistics(int features, Parallelism? parallelism = null)
        : this(new CenteredMoments(Columns(features)), parallelism)
    {
    }

    private PcaStatistics(CenteredMoments moments, Parallelism? parallelism)
        : base(moments.Columns, 0, moments, parallelism)
    {
    }

    /// <summary>d, the columns of the rows, after checking it.</summary>
    private static int Columns(int features) =>
        features >= 1 ? features : throw new LearnInputException($"PCA statistics need at least one feature, but got {features}.");

    /// <summary>Statistics of X (n, d).</summary>
    public static PcaStatistics From(MtlTensor<double> x, Parallelism? parallelism = null)
    {
        var (_, d, _) = LearnInput.Matrix(x, "X");
        var statistics = new PcaStatistics(d, parallelism);
        statistics.Add(x);
        return statistics;
    }

    private protected override string Estimator => "PCA";

    /// <summary>X̄, the column means.</summary>
    public double[] Mean => (double[])Moments.Mean.Clone();

    /// <summary>The covariance M/(n − 1), shape (d, d) (M itself when n ≤ 1).</summary>
    public MtlTensor<double> Covariance
    {
        get
        {
            var c = Moments.Block(0, Features, 0, Features);
            Dense.Scale(1.0 / Math.Max(Rows - 1, 1), c.Data);
            return c.ToTensor();
        }
    }

    /// <summary>Adds the rows of X (n, d).</summary>
    /// <exception cref="LearnInputException">When X has another number of columns or a value is not finite.</exception>
    public void Add(MtlTensor<double> x)
    {
        var (_, d, values, offset) = LearnInput.MatrixView(x, "X");
        LearnInput.Features(Features, d, "These PCA statistics were made for");
        Add(values.AsSpan(offset, x.Dim(0) * d), [], []);
    }

    private protected override void CheckMergeable(PcaStatistics other)
    {
        if (other.Features != Features)
            throw new LearnInputException($"Cannot merge PCA statistics of {other.Features} features into ones of {Features} features.");
    }

    /// <inheritdoc/>
    public PcaStatistics Copy() => new(Moments.Copy(), Parallelism);

    /// <summary>
    /// The PCA model of the rows added so far: the values of <c>options with Solver = Covariance</c> fitted on all of them
    /// (components up to the sign convention above). <see cref="Pca.Components"/>, <see cref="Pca.VarianceFraction"/> and
    /// <see cref="Pca.Whiten"/> are honoured; every solver takes the covariance route (the report says so).
    /// </summary>
    /// <exception cref="LearnInputException">When no rows were added or the component count is out of range.</exception>
    public PcaModel Fit(Pca options)
    {
        ArgumentNullException.ThrowIfNull(options);
        StatisticsInput.HasWeight(Rows, WeightSum, "PCA");
        if (Rows > int.MaxValue)
            throw new LearnInputException($"PCA models count samples in 32 bits; {Rows} rows are too many.");
        int n = (int)Rows, d = Features, rank = (int)Math.Min(Rows, d);
        if (options.VarianceFraction is double f && !(f > 0 && f < 1))
            throw new LearnInputException($"VarianceFraction must be between 0 and 1 (exclusive), but got {f}; pass an integer Components for a fixed count.");
        if (options.VarianceFraction is not null && options.Components is not null)
            throw new LearnInputException("Pass either Components or VarianceFraction, not both.");
        int k = options.Components ?? rank;
        if (k < 0 || k > rank)
            throw new LearnInputException($"Components = {k} must be between 0 and min(n_samples, n_features) = {rank} for {n} samples of {d} features; ask for at most {rank} components.");

        // M = W·Λ·Wᵀ, λ descending; σᵢ = √max(λᵢ, 0) (rounding can leave tiny negative λ: clipped, as scikit-learn)
        var eigen = SymmetricEigen.Compute(Moments.Block(0, d, 0, d), computeVectors: true, options.Parallelism);
        var sigma = new double[rank];
        for (int j = 0; j < rank; j++) sigma[j] = Math.Sqrt(Math.Max(eigen.Values[d - 1 - j], 0));
        double total = 0;
        for (int i = 0; i < d; i++) total += Moments.Scatter[i * d + i];

        double denominator = Math.Max(n - 1, 1);
        double totalVariance = total / denominator;
        var allVariance = sigma.Select(s => s * s / denominator).ToArray();
        if (options.VarianceFraction is double fraction)
        {
            double cumulative = 0;
            k = 0;
            while (k < allVariance.Length && cumulative <= fraction)
                cumulative += allVariance[k++] / totalVariance;
        }
        double noise = k >= rank ? 0 : allVariance[k..rank].Average();

        var components = new DenseMatrix(k, d);
        for (int j = 0; j < k; j++)
        {
            // v-based sign: the largest-magnitude entry (the first on a tie) is positive.
            int largest = 0;
            for (int i = 1; i < d; i++)
                if (Math.Abs(eigen.Vectors![i, d - 1 - j]) > Math.Abs(eigen.Vectors[largest, d - 1 - j])) largest = i;
            double sign = eigen.Vectors![largest, d - 1 - j] < 0 ? -1 : 1;
            for (int i = 0; i < d; i++) components[j, i] = sign * eigen.Vectors[i, d - 1 - j];
        }
        var variance = allVariance[..k];
        var ratio = variance.Select(v => totalVariance > 0 ? v / totalVariance : 0).ToArray();
        var report = new PcaFitReport(options.Solver, PcaSolver.Covariance, null, "covariance route from mergeable statistics (v-based sign)");
        return new PcaModel(components, variance, ratio, sigma[..k], Mean, noise, options.Whiten, n, report, options.Parallelism ?? TensorParallelism.Current);
    }

    /// <summary>
    /// The <see cref="IncrementalPca"/> model of the rows added so far: what <c>options with BatchSize = n</c> fits on all of
    /// them (one batch holding all the data, which is exactly PCA; both use the v-based sign). Its per-feature variance is
    /// diag(M)/n. The model takes further batches with <see cref="IncrementalPca.PartialFit"/> like any other; unlike
    /// IncrementalPCA's own batch updates, which truncate to k components after every batch, the statistics lose nothing.
    /// </summary>
    /// <exception cref="LearnInputException">When no rows were added or the component count is out of range.</exception>
    public IncrementalPcaModel FitIncremental(IncrementalPca options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var pca = Fit(new Pca(Components: options.Components, Whiten: options.Whiten, Parallelism: options.Parallelism));
        var variance = new double[Features];
        for (int j = 0; j < Features; j++) variance[j] = Moments.Scatter[j * Features + j] / Rows;
        return new IncrementalPcaModel(options, pca, variance, Rows, 1);
    }

    /// <inheritdoc/>
    public void Save(Stream stream) => FitStatisticsFormat.Write(stream, Kind, writer =>
    {
        writer.Write(Features);
        Moments.Write(writer);
    });

    /// <inheritdoc/>
    public static PcaStatistics Load(Stream stream) => FitStatisticsFormat.Read(stream, Kind, reader =>
    {
        int d = reader.Count("the feature count", 1 << 16);
        if (d < 1) throw new Data.DataFormatException(reader.Source, "PCA statistics need at least one feature");
        return new PcaStatistics(CenteredMoments.Read(reader, d), null);
    });
}
