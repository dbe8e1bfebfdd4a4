using System.Globalization;
using System.Numerics.Tensors;
using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.Learn.Sparse;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// A fitted <see cref="LogisticRegression"/>: decision values z = X·Wᵀ + b; probabilities σ(z) (binary: [1 − σ, σ]) or
/// softmax(z) (multinomial); the predicted label is the class of the largest probability.
/// </summary>
public sealed class LogisticRegressionModel
{
    /// <summary>The model kind in model files.</summary>
    public const string Kind = "logreg";

    private readonly int[] _classes;
    private readonly double[] _w;         // (k, d)
    private readonly double[] _intercept; // (k)
    private readonly Parallelism _parallelism;

    internal LogisticRegressionModel(int[] classes, double[] w, double[] intercept, int features, LogisticRegressionReport? report, Parallelism parallelism)
    {
        _classes = classes;
        _w = w;
        _intercept = intercept;
        Features = features;
        Report = report;
        _parallelism = parallelism;
    }

    /// <summary>What the fit did (null for a model read from a file).</summary>
    public LogisticRegressionReport? Report { get; }

    /// <summary>The sorted distinct labels seen in fitting (scikit-learn's classes_).</summary>
    public int[] Classes => (int[])_classes.Clone();

    /// <summary>The number of features.</summary>
    public int Features { get; }

    /// <summary>The number of coefficient rows: 1 for a binary model, else the number of classes.</summary>
    public int CoefficientRows => _intercept.Length;

    /// <summary>W of shape (1, n_features) for two classes or (n_classes, n_features) (scikit-learn's coef_).</summary>
    public MtlTensor<double> Coefficients => MtlTensor.FromArray((double[])_w.Clone(), CoefficientRows, Features);

    /// <summary>b, one intercept per coefficient row (scikit-learn's intercept_).</summary>
    public double[] Intercept => (double[])_intercept.Clone();

    internal ReadOnlySpan<double> CoefficientData => _w;

    internal ReadOnlySpan<double> InterceptData => _intercept;

    /// <summary>Decision values X·Wᵀ + b: shape (n_samples,) for a binary model (the log-odds of Classes[1]), else (n_samples, n_classes).</summary>
    public MtlTensor<double> DecisionFunction(MtlTensor<double> x) => Shaped(Decision(Design(x)));

    /// <inheritdoc cref="DecisionFunction(MtlTensor{double})"/>
    public MtlTensor<double> DecisionFunction(CsrMatrix x) => Shaped(Decision(Design(x)));

    /// <summary>Class probabilities of shape (n_samples, n_classes), columns in the order of <see cref="Classes"/>.</summary>
    public MtlTensor<double> PredictProba(MtlTensor<double> x) => Probabilities(Decision(Design(x)), log: false);

    /// <inheritdoc cref="PredictProba(MtlTensor{double})"/>
    public MtlTensor<double> PredictProba(CsrMatrix x) => Probabilities(Decision(Design(x)), log: false);

    /// <summary>Log-probabilities of shape (n_samples, n_classes), computed as z − logsumexp(z) (no log of a rounded 0).</summary>
    public MtlTensor<double> PredictLogProba(MtlTensor<double> x) => Probabilities(Decision(Design(x)), log: true);

    /// <inheritdoc cref="PredictLogProba(MtlTensor{double})"/>
    public MtlTensor<double> PredictLogProba(CsrMatrix x) => Probabilities(Decision(Design(x)), log: true);

    /// <summary>The predicted label of each row (the class with the largest decision value; ties to the first).</summary>
    public int[] Predict(MtlTensor<double> x) => Labels(Decision(Design(x)));

    /// <inheritdoc cref="Predict(MtlTensor{double})"/>
    public int[] Predict(CsrMatrix x) => Labels(Decision(Design(x)));

    /// <summary>Mean accuracy of <see cref="Predict(MtlTensor{double})"/> against <paramref name="y"/>.</summary>
    public double Score(MtlTensor<double> x, int[] y)
    {
        ArgumentNullException.ThrowIfNull(y);
        var predicted = Predict(x);
        if (y.Length != predicted.Length)
            throw new LearnInputException($"X has {predicted.Length} rows but y has {y.Length} labels.");
        return (double)predicted.Zip(y).Count(p => p.First == p.Second) / Math.Max(y.Length, 1);
    }

    /// <summary>
    /// Writes the model as safetensors (kind "logreg"): <c>coef_</c> (k, n_features) and <c>intercept_</c> (k) as float64,
    /// <c>classes_</c> (n_classes) as int64, readable from Python with <c>safetensors.numpy.load_file</c>.
    /// </summary>
    public void Save(string path)
    {
        var tensors = new List<NdArray>
        {
            NdArray.Create("coef_", (double[])_w.Clone(), CoefficientRows, Features),
            NdArray.Create("intercept_", (double[])_intercept.Clone(), CoefficientRows),
            NdArray.Create("classes_", _classes.Select(c => (long)c).ToArray(), _classes.Length),
        };
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Report is not null)
        {
            metadata["solver"] = Report.Solver == LogisticSolver.Lbfgs ? "lbfgs" : "newton-cg";
            metadata["n_iter"] = Report.Iterations.ToString(CultureInfo.InvariantCulture);
            metadata["converged"] = Report.Converged ? "true" : "false";
        }
        ModelFile.Write(path, Kind, tensors, metadata);
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="DataFormatException">When the file is not a "logreg" model or its tensors do not fit together.</exception>
    public static LogisticRegressionModel Load(string path, Parallelism? parallelism = null)
    {
        var file = ModelFile.Read(path, Kind);
        file.OnlyTensors("coef_", "intercept_", "classes_");
        var coef = file.Matrix("coef_");
        int k = coef.Rows, d = coef.Columns;
        var intercept = file.Vector("intercept_", k);
        var classes = file.Integers("classes_");
        if (classes.Length < 2 || k != (classes.Length == 2 ? 1 : classes.Length))
            throw new DataFormatException(path, $"coef_ has {k} rows and classes_ {classes.Length} entries; a logreg model has one row for two classes, else one row per class");
        var labels = new int[classes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (classes[i] < int.MinValue || classes[i] > int.MaxValue || (i > 0 && classes[i] <= classes[i - 1]))
                throw new DataFormatException(path, "classes_ must be strictly increasing 32-bit integers");
            labels[i] = (int)classes[i];
        }
        // Written by Save after a fit; checked when present although predicting does not use them.
        if (file.Metadata.ContainsKey("solver")) file.Choice("solver", "lbfgs", "newton-cg");
        if (file.Metadata.ContainsKey("n_iter")) file.Integer("n_iter");
        if (file.Metadata.ContainsKey("converged")) file.Flag("converged");
        return new LogisticRegressionModel(labels, coef.Data, intercept, d, report: null, parallelism ?? TensorParallelism.Current);
    }

    private DesignMatrix Design(MtlTensor<double> x)
    {
        var (n, d, values, offset) = LearnInput.MatrixView(x, "X");
        LearnInput.Features(Features, d, "LogisticRegression");
        return DesignMatrix.Dense(n, d, values, offset);
    }

    private DesignMatrix Design(CsrMatrix x)
    {
        ArgumentNullException.ThrowIfNull(x);
        LearnInput.Features(Features, x.Columns, "LogisticRegression");
        return DesignMatrix.Sparse(x);
    }

    // Z (n, k) = X·Wᵀ + b
    private double[] Decision(DesignMatrix x)
    {
        int n = x.Rows, k = CoefficientRows;
        var z = new double[n * k];
        x.TimesTransposed(_w, k, z, _parallelism);
        for (int i = 0; i < n; i++) TensorPrimitives.Add(z.AsSpan(i * k, k), _intercept, z.AsSpan(i * k, k));
        return z;
    }

    private MtlTensor<double> Shaped(double[] z) =>
        CoefficientRows == 1 ? MtlTensor.FromArray(z, z.Length) : MtlTensor.FromArray(z, z.Length / CoefficientRows, CoefficientRows);

    private int[] Labels(double[] z)
    {
        int k = CoefficientRows, n = z.Length / k;
        var labels = new int[n];
        for (int i = 0; i < n; i++)
            labels[i] = k == 1
                ? _classes[z[i] > 0 ? 1 : 0]
                : _classes[TensorPrimitives.IndexOfMax((ReadOnlySpan<double>)z.AsSpan(i * k, k))];
        return labels;
    }

    // Binary: p₁ = σ(z), p₀ = 1 − p₁ (log p₁ = −log1p(e^{−z}), log p₀ = −log1p(e^{z}), stably).
    // Multinomial: log pᵢ = zᵢ − m − log Σ e^{z_c − m}.
    private MtlTensor<double> Probabilities(double[] z, bool log)
    {
        int k = CoefficientRows, n = z.Length / k, classes = _classes.Length;
        var p = new double[n * classes];
        if (k == 1)
        {
            for (int i = 0; i < n; i++)
            {
                double logP1 = -Softplus(-z[i]), logP0 = -Softplus(z[i]);
                p[2 * i] = log ? logP0 : Math.Exp(logP0);
                p[2 * i + 1] = log ? logP1 : Math.Exp(logP1);
            }
            if (!log)
            {
                // σ(z) and 1 − σ(z) as scikit-learn: p₁ = expit(z), p₀ = 1 − p₁.
                for (int i = 0; i < n; i++)
                {
                    double p1 = 1 / (1 + Math.Exp(-z[i]));
                    p[2 * i] = 1 - p1;
                    p[2 * i + 1] = p1;
                }
            }
        }
        else
        {
            for (int i = 0; i < n; i++)
            {
                var zi = z.AsSpan(i * k, k);
                var pi = p.AsSpan(i * k, k);
                double m = TensorPrimitives.Max((ReadOnlySpan<double>)zi);
                TensorPrimitives.Subtract(zi, m, pi);
                TensorPrimitives.Exp(pi, pi);
                double sum = TensorPrimitives.Sum((ReadOnlySpan<double>)pi);
                if (log) TensorPrimitives.Subtract(zi, m + Math.Log(sum), pi);
                else TensorPrimitives.Divide(pi, sum, pi);
            }
        }
        return MtlTensor.FromArray(p, n, classes);
    }

    // log(1 + e^x) without overflow.
    private static double Softplus(double x) => Math.Max(x, 0) + LogisticLoss.Log1p(Math.Exp(-Math.Abs(x)));
}
