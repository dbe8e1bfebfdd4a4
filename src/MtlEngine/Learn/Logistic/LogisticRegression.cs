using System.Buffers;
using MtlEngine.Kernels;
using MtlEngine.Learn.Optimization;
using MtlEngine.Learn.Sparse;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>The optimizer a <see cref="LogisticRegression"/> fit runs.</summary>
public enum LogisticSolver
{
    /// <summary>L-BFGS on the flattened (W, b), memory 10, with L-BFGS-B's stopping rules (scikit-learn's default "lbfgs").</summary>
    Lbfgs,
    /// <summary>Truncated Newton: Newton steps solved by conjugate gradients on Hessian-vector products, with a Wolfe line search ("newton-cg").</summary>
    NewtonCg,
}

/// <summary>
/// L2-regularized logistic regression, binary and multinomial, as scikit-learn 1.2's <c>LogisticRegression</c> with
/// <c>multi_class="auto"</c>: two classes give one coefficient row and the sigmoid, three or more the multinomial
/// (softmax) model with one row per class. The objective is scikit-learn's
/// <code>
/// min_{W,b}  C·Σᵢ sᵢ·ℓ(yᵢ, W·xᵢ + b) + ½‖W‖²        sᵢ = sample weight × class weight; b is not penalized
/// </code>
/// with ℓ the log-loss (cross-entropy), minimized as Σᵢ sᵢ·ℓᵢ + ‖W‖²/(2C) so that the tolerance means what it means in
/// scikit-learn (the optimizer's gradient test, max|∇| ≤ tol, is on this scaling). The options record is the estimator:
/// <c>new LogisticRegression { C = 1 }.Fit(x, y)</c>. X is a dense tensor or a <see cref="CsrMatrix"/> (text features).
/// </summary>
public sealed record LogisticRegression
{
    /// <summary>C, the inverse regularization strength (default 1); must be &gt; 0 (+∞: no penalty).</summary>
    public double C { get; init; } = 1.0;

    /// <summary>Fit an unpenalized intercept per coefficient row (default true).</summary>
    public bool FitIntercept { get; init; } = true;

    /// <summary>The optimizer (default <see cref="LogisticSolver.Lbfgs"/>).</summary>
    public LogisticSolver Solver { get; init; } = LogisticSolver.Lbfgs;

    /// <summary>The iteration limit (scikit-learn's max_iter, default 100).</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>Stop when max|∇f| ≤ tol (scikit-learn's tol, default 1e-4).</summary>
    public double Tolerance { get; init; } = 1e-4;

    /// <summary>class_weight="balanced": class c weighs n_samples / (n_classes · count(c)) (default false).</summary>
    public bool BalancedClassWeight { get; init; }

    /// <summary>class_weight as a dictionary: label → weight (labels not listed weigh 1), or null.</summary>
    public IReadOnlyDictionary<int, double>? ClassWeight { get; init; }

    /// <summary>Threads for the GEMM and the per-row loss (the fit does not depend on it).</summary>
    public Parallelism Parallelism { get; init; }

    /// <summary>Fits on dense X.</summary>
    /// <param name="x">X of shape (n_samples, n_features).</param>
    /// <param name="y">Class labels, any integers, length n_samples; at least two distinct values.</param>
    /// <param name="sampleWeight">sᵢ ≥ 0, length n_samples, or null for all ones.</param>
    /// <param name="warmStart">Start from this model's coefficients and intercept (scikit-learn's warm_start), or null to start from zero.</param>
    /// <exception cref="LearnInputException">When shapes disagree, a value is not finite, there is one class only, or an option is out of range.</exception>
    public LogisticRegressionModel Fit(MtlTensor<double> x, int[] y, double[]? sampleWeight = null, LogisticRegressionModel? warmStart = null)
    {
        // X is read in place (a contiguous tensor is not copied: a copy of a large X is mostly page faults).
        var (n, d, values, offset) = LearnInput.MatrixView(x, "X");
        LearnInput.FiniteByChunks(values.AsSpan(offset, n * d), d, "X");
        return Fit(DesignMatrix.Dense(n, d, values, offset), y, sampleWeight, warmStart);
    }

    /// <summary>Fits on sparse X (CSR), e.g. TF-IDF features; the same optimum as the dense fit of the same matrix.</summary>
    /// <inheritdoc cref="Fit(MtlTensor{double}, int[], double[], LogisticRegressionModel)"/>
    public LogisticRegressionModel Fit(CsrMatrix x, int[] y, double[]? sampleWeight = null, LogisticRegressionModel? warmStart = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        LearnInput.Finite(x.Values, 1, "X (stored entries)");
        return Fit(DesignMatrix.Sparse(x), y, sampleWeight, warmStart);
    }

    private LogisticRegressionModel Fit(DesignMatrix x, int[] y, double[]? sampleWeight, LogisticRegressionModel? warmStart)
    {
        ArgumentNullException.ThrowIfNull(y);
        int n = x.Rows, d = x.Columns;
        if (y.Length != n)
            throw new LearnInputException($"X has {n} rows but y has {y.Length} labels; pass one label per sample.");
        LearnInput.NotEmpty(n, "X");
        CheckOptions();
        var classes = y.Distinct().Order().ToArray();
        if (classes.Length < 2)
            throw new LearnInputException($"y has only one class ({classes[0]}); logistic regression needs samples of at least two classes.");
        var encoded = new int[n];
        for (int i = 0; i < n; i++) encoded[i] = Array.BinarySearch(classes, y[i]);
        var s = ArrayPool<double>.Shared.Rent(n); // sᵢ for i < n (the rented array may be longer)
        try
        {
            SampleWeights(sampleWeight, encoded, classes, s.AsSpan(0, n));
            return Fit(x, encoded, s, classes, warmStart);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(s);
        }
    }

    private LogisticRegressionModel Fit(DesignMatrix x, int[] encoded, double[] s, int[] classes, LogisticRegressionModel? warmStart)
    {
        int d = x.Columns;
        using var loss = new LogisticLoss(x, encoded, s, classes.Length, FitIntercept, double.IsPositiveInfinity(C) ? 0 : 1 / C, Parallelism);
        int k = loss.CoefficientRows;
        var theta0 = new double[loss.Dimension];
        if (warmStart is not null)
        {
            if (!warmStart.Classes.SequenceEqual(classes) || warmStart.Features != d)
                throw new LearnInputException(
                    $"The warm-start model has classes [{string.Join(", ", warmStart.Classes)}] and {warmStart.Features} features, but this fit has classes [{string.Join(", ", classes)}] and {d} features; warm-start from a model of the same problem.");
            warmStart.CoefficientData.CopyTo(theta0.AsSpan(0, k * d));
            if (FitIntercept) warmStart.InterceptData.CopyTo(theta0.AsSpan(k * d, k));
        }

        var result = Solver switch
        {
            LogisticSolver.Lbfgs => Lbfgs.Minimize(loss, theta0, new LbfgsOptions(MaxIterations: MaxIterations, GradientTolerance: Tolerance)),
            LogisticSolver.NewtonCg => NewtonCg.Minimize(loss, theta0, new NewtonCgOptions(MaxIterations, Tolerance)),
            _ => throw new ArgumentOutOfRangeException(nameof(Solver), Solver, "Unknown logistic-regression solver."),
        };
        var w = result.X.AsSpan(0, k * d).ToArray();
        var b = FitIntercept ? result.X.AsSpan(k * d, k).ToArray() : new double[k];
        var report = new LogisticRegressionReport(Solver, result.Iterations, result.Evaluations, result.Converged, result.Value, result.GradientMaxNorm, result.Message);
        return new LogisticRegressionModel(classes, w, b, d, report, Parallelism);
    }

    internal void CheckOptions()
    {
        if (!(C > 0))
            throw new LearnInputException($"C must be > 0, but is {C}; C is the inverse regularization strength (smaller C, stronger penalty).");
        if (MaxIterations < 1)
            throw new LearnInputException($"MaxIterations must be at least 1, but is {MaxIterations}.");
        if (!(Tolerance >= 0) || double.IsInfinity(Tolerance))
            throw new LearnInputException($"Tolerance must be finite and ≥ 0, but is {Tolerance}.");
        if (BalancedClassWeight && ClassWeight is not null)
            throw new LearnInputException("Set either BalancedClassWeight or ClassWeight, not both.");
    }

    // sᵢ = sample weight × class weight (scikit-learn's compute_class_weight; "balanced": n / (n_classes·count(c)),
    // counted without the sample weights).
    internal void SampleWeights(double[]? sampleWeight, int[] encoded, int[] classes, Span<double> s)
    {
        int n = encoded.Length;
        if (sampleWeight is null)
        {
            s.Fill(1.0);
        }
        else
        {
            if (sampleWeight.Length != n)
                throw new LearnInputException($"sampleWeight has length {sampleWeight.Length} but X has {n} rows; pass one weight per sample.");
            for (int i = 0; i < n; i++)
            {
                if (!(sampleWeight[i] >= 0) || double.IsInfinity(sampleWeight[i]))
                    throw new LearnInputException($"sampleWeight[{i}] is {sampleWeight[i]}; sample weights must be finite and ≥ 0.");
                s[i] = sampleWeight[i];
            }
        }
        var perClass = new double[classes.Length];
        Array.Fill(perClass, 1.0);
        if (BalancedClassWeight)
        {
            var counts = new int[classes.Length];
            foreach (int c in encoded) counts[c]++;
            for (int c = 0; c < classes.Length; c++) perClass[c] = (double)n / (classes.Length * counts[c]);
        }
        else if (ClassWeight is not null)
        {
            foreach (var (label, weight) in ClassWeight)
            {
                int c = Array.BinarySearch(classes, label);
                if (c < 0)
                    throw new LearnInputException($"ClassWeight names label {label}, which is not among the classes [{string.Join(", ", classes)}] of y.");
                if (!(weight >= 0) || double.IsInfinity(weight))
                    throw new LearnInputException($"ClassWeight[{label}] is {weight}; class weights must be finite and ≥ 0.");
                perClass[c] = weight;
            }
        }
        for (int i = 0; i < n; i++) s[i] *= perClass[encoded[i]];
    }
}

/// <summary>What a <see cref="LogisticRegression"/> fit did.</summary>
/// <param name="Solver">The optimizer that ran.</param>
/// <param name="Iterations">Its iterations (scikit-learn's n_iter_).</param>
/// <param name="Evaluations">Loss-and-gradient evaluations.</param>
/// <param name="Converged">True when the tolerance test ended it (false: the iteration limit or a failed line search).</param>
/// <param name="Loss">The final objective Σᵢ sᵢ·ℓᵢ + ‖W‖²/(2C).</param>
/// <param name="GradientNorm">max |∂f/∂θⱼ| at the solution.</param>
/// <param name="Message">Why the optimizer stopped.</param>
public sealed record LogisticRegressionReport(LogisticSolver Solver, int Iterations, int Evaluations, bool Converged, double Loss, double GradientNorm, string Message);
