using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// Incremental PCA, as scikit-learn's <c>IncrementalPCA</c> (Ross, Lim, Lin and Yang 2008, "Incremental learning for
/// robust visual tracking", with the mean update of their Algorithm 1): the data arrive batch by batch and only
/// k components, their singular values, the mean, the variance and the sample count are kept. For a new batch B
/// (m rows, mean B̄) after N samples with mean μ and components Σ·Vᵀ:
/// <code>
/// μ' = (N·μ + m·B̄)/(N + m),  var' by the pairwise update of Chan, Golub and LeVeque (1983)
/// Z  = [ Σ·Vᵀ ;  B − B̄ ;  √(N·m/(N + m))·(μ − B̄) ]       (k + m + 1 rows; the first batch is just B − μ')
/// Z  = U'·Σ'·V'ᵀ  ⇒  the new components are the first k rows of V'ᵀ, the new singular values Σ'
/// </code>
/// The stacked Z has the same scatter matrix about μ' as all the data seen so far, truncated to k directions, so one
/// batch holding all the data gives exactly PCA. Sign convention (scikit-learn's IncrementalPCA, v-based): in each
/// component the entry of largest magnitude is positive.
/// </summary>
/// <param name="Components">k, or null for min(first batch rows, n_features).</param>
/// <param name="BatchSize">Rows per batch in <see cref="Fit"/>, or null for 5·n_features (scikit-learn's default).</param>
/// <param name="Whiten">Whiten in the transform.</param>
/// <param name="Parallelism">Threads for the SVDs.</param>
public sealed record IncrementalPca(int? Components = null, int? BatchSize = null, bool Whiten = false, Parallelism? Parallelism = null)
{
    /// <summary>
    /// Fits X in batches of <see cref="BatchSize"/> rows (scikit-learn's gen_batches: a last batch smaller than k is
    /// merged into the one before).
    /// </summary>
    /// <exception cref="LearnInputException">When X is empty or not finite, or k exceeds n_features or a batch's rows.</exception>
    public IncrementalPcaModel Fit(MtlTensor<double> x)
    {
        var (n, d, xv) = LearnInput.Matrix(x, "X");
        LearnInput.NotEmpty(n, "X");
        LearnInput.Finite(xv, d, "X");
        int batch = BatchSize ?? 5 * d;
        if (batch < 1)
            throw new LearnInputException($"BatchSize must be ≥ 1, but got {batch}.");
        IncrementalPcaModel? model = null;
        foreach (var (start, end) in Batches(n, batch, Components ?? 0))
            model = Step(model, new DenseMatrix(end - start, d, xv[(start * d)..(end * d)]));
        return model!;
    }

    /// <summary>The first batch of an incremental fit; continue with <see cref="IncrementalPcaModel.PartialFit"/>.</summary>
    public IncrementalPcaModel PartialFit(MtlTensor<double> batch) => Step(null, Checked(batch, null));

    /// <summary>The batches [start, end) of scikit-learn's gen_batches(n, size, min_batch_size).</summary>
    internal static IEnumerable<(int Start, int End)> Batches(int n, int size, int minBatchSize)
    {
        int start = 0;
        for (int b = 0; b < n / size; b++)
        {
            int end = start + size;
            if (end + minBatchSize > n) continue;
            yield return (start, end);
            start = end;
        }
        if (start < n) yield return (start, n);
    }

    internal static DenseMatrix Checked(MtlTensor<double> batch, int? features)
    {
        var (m, d, values) = LearnInput.Matrix(batch, "X");
        LearnInput.NotEmpty(m, "X");
        LearnInput.Finite(values, d, "X");
        if (features is int expected) LearnInput.Features(expected, d, "IncrementalPCA");
        return new DenseMatrix(m, d, values);
    }

    /// <summary>One partial_fit step from <paramref name="previous"/> (null for the first batch).</summary>
    internal IncrementalPcaModel Step(IncrementalPcaModel? previous, DenseMatrix batch)
    {
        int m = batch.Rows, d = batch.Columns;
        int k = Components ?? previous?.ComponentCount ?? Math.Min(m, d);
        if (k > d)
            throw new LearnInputException($"Components = {k} exceeds n_features = {d}; IncrementalPCA needs at most as many components as features.");
        if (k > m)
            throw new LearnInputException($"Components = {k} exceeds the {m} rows of this batch; pass batches of at least {k} rows.");
        if (k < 1)
            throw new LearnInputException($"Components must be ≥ 1, but got {k}.");
        if (previous is not null && previous.ComponentCount != k)
            throw new LearnInputException($"The model keeps {previous.ComponentCount} components but {k} were asked for; keep Components fixed between batches.");

        long seen = previous?.SamplesSeen ?? 0;
        long total = seen + m;
        var batchMean = Pca.ColumnMeans(batch);
        var (mean, variance) = UpdateMeanAndVariance(batch, batchMean, previous?.MeanArray, previous?.VarianceArray, seen);

        Svd svd;
        if (previous is null)
        {
            Pca.Center(batch, mean);
            svd = Svd.Compute(batch, Parallelism);
        }
        else
        {
            // Z = [Σ·Vᵀ; B − B̄; √(N·m/(N + m))·(μ − B̄)], on a pooled array (a scratch matrix of every batch).
            Pca.Center(batch, batchMean);
            using var z = new PooledMatrix(k + m + 1, d, clear: false);
            var sigma = previous.SingularValuesArray;
            var components = previous.ComponentsMatrix;
            for (int j = 0; j < k; j++)
                for (int f = 0; f < d; f++) z[j, f] = sigma[j] * components[j, f];
            batch.Data.CopyTo(z.Data, k * d);
            double correction = Math.Sqrt((double)seen / total * m);
            var prevMean = previous.MeanArray;
            for (int f = 0; f < d; f++) z[k + m, f] = correction * (prevMean[f] - batchMean[f]);
            svd = Svd.Compute(z.ReadOnlySpan, Parallelism ?? TensorParallelism.Current);
        }
        // svd_flip(u_based_decision=False): the largest-magnitude entry of each component (row of Vᵀ) positive.
        SignConvention.Apply(svd.V, svd.U);
        var s = svd.SingularValues;
        double totalScatter = variance.Sum() * total;
        var allVariance = s.Select(v => v * v / (total - 1)).ToArray();
        var newComponents = new DenseMatrix(k, d);
        for (int j = 0; j < k; j++)
            for (int f = 0; f < d; f++) newComponents[j, f] = svd.V[f, j];
        double noise = k != m && k != d && allVariance.Length > k ? allVariance[k..].Average() : 0;
        var ratio = s[..k].Select(v => totalScatter > 0 ? v * v / totalScatter : 0).ToArray();
        var pca = new PcaModel(newComponents, allVariance[..k], ratio, s[..k], mean, noise, Whiten, (int)Math.Min(total, int.MaxValue),
            new PcaFitReport(PcaSolver.Full, PcaSolver.Full, null), Parallelism ?? TensorParallelism.Current);
        return new IncrementalPcaModel(this, pca, variance, total, (previous?.Batches ?? 0) + 1);
    }

    // Chan, Golub and LeVeque's pairwise update, as scikit-learn's _incremental_mean_and_var:
    //   S_new = Σ(x − T)² − (Σ(x − T))²/m  (T the batch mean; the second term corrects rounding),
    //   S = N·var + S_new + (N/m)/(N + m)·(sum_old/(N/m) − sum_new)²,   var' = S/(N + m).
    private static (double[] Mean, double[] Variance) UpdateMeanAndVariance(DenseMatrix batch, double[] batchMean, double[]? lastMean, double[]? lastVariance, long seen)
    {
        int m = batch.Rows, d = batch.Columns;
        long total = seen + m;
        var mean = new double[d];
        var variance = new double[d];
        for (int f = 0; f < d; f++)
        {
            double newSum = batchMean[f] * m, correction = 0, squares = 0;
            for (int i = 0; i < m; i++)
            {
                double t = batch[i, f] - batchMean[f];
                correction += t;
                squares += t * t;
            }
            double newUnnormalized = squares - correction * correction / m;
            double lastSum = seen == 0 ? 0 : lastMean![f] * seen;
            mean[f] = (lastSum + newSum) / total;
            double unnormalized = newUnnormalized;
            if (seen > 0)
            {
                double lastOverNew = (double)seen / m;
                double diff = lastSum / lastOverNew - newSum;
                unnormalized = lastVariance![f] * seen + newUnnormalized + lastOverNew / total * diff * diff;
            }
            variance[f] = unnormalized / total;
        }
        return (mean, variance);
    }
}

/// <summary>
/// A fitted <see cref="IncrementalPca"/>: the components so far, ready to take another batch (<see cref="PartialFit"/> returns
/// a new model). Saved as a model file of kind "incremental_pca" (<see cref="Save"/>) that keeps everything the next
/// batch needs, so a loaded model continues exactly where the saved one stopped.
/// </summary>
public sealed class IncrementalPcaModel
{
    /// <summary>The model kind in the file's metadata.</summary>
    public const string Kind = "incremental_pca";

    private readonly double[] _variance;

    internal IncrementalPcaModel(IncrementalPca options, PcaModel pca, double[] variance, long samplesSeen, int batches)
    {
        Options = options;
        Pca = pca;
        _variance = variance;
        SamplesSeen = samplesSeen;
        Batches = batches;
    }

    /// <summary>The options it was fitted with.</summary>
    public IncrementalPca Options { get; }

    /// <summary>The fitted components as a <see cref="PcaModel"/> (transform, inverse transform, Save as kind "pca").</summary>
    public PcaModel Pca { get; }

    /// <summary>n_samples_seen_: the rows of every batch so far.</summary>
    public long SamplesSeen { get; }

    /// <summary>How many batches were merged.</summary>
    public int Batches { get; }

    /// <summary>k.</summary>
    public int ComponentCount => Pca.ComponentCount;

    /// <summary>The components, shape (k, n_features).</summary>
    public MtlTensor<double> Components => Pca.Components;

    /// <summary>σᵢ²/(N − 1), length k.</summary>
    public double[] ExplainedVariance => Pca.ExplainedVariance;

    /// <summary>σᵢ² over the total scatter of all samples seen, length k.</summary>
    public double[] ExplainedVarianceRatio => Pca.ExplainedVarianceRatio;

    /// <summary>σᵢ, length k.</summary>
    public double[] SingularValues => Pca.SingularValues;

    /// <summary>The per-feature mean of all samples seen.</summary>
    public double[] Mean => Pca.Mean;

    /// <summary>The per-feature (population) variance of all samples seen (scikit-learn's var_).</summary>
    public double[] Variance => (double[])_variance.Clone();

    /// <summary>The mean of the variances left out in the last merge (scikit-learn's definition).</summary>
    public double NoiseVariance => Pca.NoiseVariance;

    internal double[] MeanArray => Pca.MeanArray;

    internal double[] VarianceArray => _variance;

    internal double[] SingularValuesArray => Pca.SingularValuesArray;

    internal DenseMatrix ComponentsMatrix => Pca.ComponentsMatrix;

    /// <summary>Merges one more batch (shape (m, n_features), m ≥ k) and returns the updated model.</summary>
    /// <exception cref="LearnInputException">When the batch has other features, too few rows, or non-finite values.</exception>
    public IncrementalPcaModel PartialFit(MtlTensor<double> batch) =>
        Options.Step(this, IncrementalPca.Checked(batch, Pca.Features));

    /// <summary>
    /// Writes the model as safetensors (kind "incremental_pca"), float64 tensors under scikit-learn's attribute names:
    /// <c>components_</c> (k, n_features), <c>explained_variance_</c>, <c>explained_variance_ratio_</c>,
    /// <c>singular_values_</c> (k), <c>mean_</c>, <c>var_</c> (n_features), <c>noise_variance_</c> (1) and
    /// <c>n_samples_seen_</c> (1, int64); metadata n_components and batch_size (a number or "none"), whiten, n_batches.
    /// Everything <see cref="PartialFit"/> reads is stored bit for bit: load, continue, and the result equals the
    /// uninterrupted fit.
    /// </summary>
    public void Save(string path)
    {
        int k = ComponentCount, d = Pca.Features;
        ModelFile.Write(path, Kind,
        [
            NdArray.Create("components_", (double[])ComponentsMatrix.Data.Clone(), k, d),
            NdArray.Create("explained_variance_", ExplainedVariance, k),
            NdArray.Create("explained_variance_ratio_", ExplainedVarianceRatio, k),
            NdArray.Create("singular_values_", SingularValues, k),
            NdArray.Create("mean_", Mean, d),
            NdArray.Create("var_", Variance, d),
            NdArray.Create("noise_variance_", [NoiseVariance], 1),
            NdArray.Create("n_samples_seen_", [SamplesSeen], 1),
        ], new Dictionary<string, string>
        {
            ["n_components"] = Options.Components is int c ? ModelFileArrays.Text(c) : "none",
            ["batch_size"] = Options.BatchSize is int b ? ModelFileArrays.Text(b) : "none",
            ["whiten"] = ModelFileArrays.Text(Options.Whiten),
            ["n_batches"] = ModelFileArrays.Text(Batches),
        });
    }

    /// <summary>Reads a model written by <see cref="Save"/>; it transforms as the saved one and can take more batches.</summary>
    /// <exception cref="DataFormatException">When the file is not an "incremental_pca" model or its arrays do not fit together.</exception>
    public static IncrementalPcaModel Load(string path, Parallelism? parallelism = null)
    {
        var file = ModelFile.Read(path, Kind);
        file.OnlyTensors("components_", "explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_", "var_", "noise_variance_", "n_samples_seen_");
        var components = file.Matrix("components_");
        int k = components.Rows, d = components.Columns;
        if (k < 1 || k > d)
            throw new DataFormatException(path, $"the '{Kind}' model's components_ has shape ({k}, {d}); expected 1 ≤ k ≤ n_features");
        long seen = file.Integers("n_samples_seen_", 1)[0];
        if (seen < k)
            throw new DataFormatException(path, $"the '{Kind}' model's n_samples_seen_ = {seen} is below its {k} components");
        int? Optional(string key) => file.Text(key) == "none" ? null : file.Integer(key, min: 1);
        int? nComponents = Optional("n_components");
        if (nComponents is int stored && stored != k)
            throw new DataFormatException(path, $"the '{Kind}' model's n_components = {stored} but components_ has {k} rows");
        bool whiten = file.Flag("whiten");
        var options = new IncrementalPca(nComponents, Optional("batch_size"), whiten, parallelism);
        var pca = new PcaModel(components, file.Vector("explained_variance_", k), file.Vector("explained_variance_ratio_", k),
            file.Vector("singular_values_", k), file.Vector("mean_", d), file.Vector("noise_variance_", 1)[0], whiten,
            (int)Math.Min(seen, int.MaxValue), new PcaFitReport(PcaSolver.Full, PcaSolver.Full, null), parallelism ?? TensorParallelism.Current);
        return new IncrementalPcaModel(options, pca, file.Vector("var_", d), seen, file.Integer("n_batches", min: 1));
    }

    /// <summary>The transform of <see cref="Pca"/>.</summary>
    public MtlTensor<double> Transform(MtlTensor<double> x) => Pca.Transform(x);

    /// <summary>The inverse transform of <see cref="Pca"/>.</summary>
    public MtlTensor<double> InverseTransform(MtlTensor<double> z) => Pca.InverseTransform(z);
}
