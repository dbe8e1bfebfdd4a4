using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using MtlEngine.Learn.Optimization;

namespace MtlEngine.Learn;

/// <summary>
/// Fits over data read in blocks of rows (<see cref="IRowBlockSource"/>: memory-mapped .npy, CSV) with a bounded working
/// set, so that an X larger than memory fits. Ridge and PCA accumulate their mergeable statistics block by block
/// (<see cref="RidgeStatistics"/>, <see cref="PcaStatistics"/>: one pass); logistic regression runs L-BFGS on the loss and
/// gradient summed over the blocks (one pass over X per evaluation of the objective, usually one per iteration). The
/// result is the model of the in-memory fit (to rounding for the statistics; to the optimizer's tolerance for L-BFGS).
/// <para>
/// The memory budget bounds what the fit holds for the data: the block buffers (X, Y and weights as float64, and the
/// mapped window of the file, up to the same size) and the statistics ((d + t)² numbers, three times over while a block is
/// joined, plus 4 MiB of packing scratch). What is left after the statistics sets the rows per block; a budget too small
/// for the statistics and one row is refused. The runtime itself (about 50–100 MB) is outside the budget.
/// </para>
/// </summary>
public static class OutOfCore
{
    /// <summary>The default working-set budget: 256 MiB.</summary>
    public const long DefaultMemoryBudget = 256L << 20;

    /// <summary>Bytes of scratch the statistics use beside their (d + t)² numbers (the SYRK's packed block).</summary>
    private const long FixedScratch = 8L << 20;

    /// <summary>
    /// The rows per block that keep the working set of a fit on <paramref name="columns"/> streamed float64 columns with
    /// statistics of <paramref name="statisticsNumbers"/> numbers inside <paramref name="budgetBytes"/>.
    /// </summary>
    /// <exception cref="LearnInputException">When the budget cannot hold the statistics and one block of at least one row.</exception>
    public static int BlockRows(long budgetBytes, int columns, long statisticsNumbers)
    {
        long fixedBytes = 3 * 8 * statisticsNumbers + FixedScratch;
        long perRow = 2L * 8 * Math.Max(columns, 1);   // the float64 buffer and the mapped window of the file
        long rows = (budgetBytes - fixedBytes) / perRow;
        if (rows < 1)
            throw new LearnInputException(
                $"A memory budget of {budgetBytes >> 20} MiB cannot hold the fit's statistics ({(fixedBytes + perRow) >> 20} MiB for {columns} columns); raise --memory-budget to at least {((fixedBytes + perRow) >> 20) + 1} MiB.");
        return (int)Math.Min(rows, int.MaxValue / Math.Max(columns, 1));
    }

    /// <summary>
    /// Adds every row of <paramref name="x"/> (with the matching rows of <paramref name="y"/> and <paramref name="sampleWeight"/>,
    /// each optional) to <paramref name="statistics"/>, <paramref name="blockRows"/> rows at a time, from the first row.
    /// </summary>
    /// <exception cref="LearnInputException">When the files disagree in rows or columns, or a weight is negative.</exception>
    public static void Accumulate<T>(T statistics, IRowBlockSource x, IRowBlockSource? y, IRowBlockSource? sampleWeight, int blockRows)
        where T : class, IFitStatistics<T>
    {
        ArgumentNullException.ThrowIfNull(statistics);
        ArgumentNullException.ThrowIfNull(x);
        if (x.Columns != statistics.Features)
            throw new LearnInputException($"{x.Source} has {x.Columns} columns but the statistics take {statistics.Features} features.");
        int t = statistics.Targets;
        if ((y?.Columns ?? 0) != t)
            throw new LearnInputException(y is null
                ? $"The statistics take {t} targets but no y was given."
                : $"{y.Source} has {y.Columns} columns but the statistics take {t} targets.");
        if (sampleWeight is not null && sampleWeight.Columns != 1)
            throw new LearnInputException($"{sampleWeight.Source} has {sampleWeight.Columns} columns; sample weights are one column.");
        x.Reset();
        y?.Reset();
        sampleWeight?.Reset();
        var xBlock = new double[(long)blockRows * x.Columns];
        var yBlock = new double[(long)blockRows * t];
        var wBlock = sampleWeight is null ? [] : new double[blockRows];
        long row = 0;
        while (true)
        {
            int m = x.Read(xBlock);
            if (y is not null) SameRows(y.Read(yBlock), m, x, y, row);
            if (sampleWeight is not null) SameRows(sampleWeight.Read(wBlock), m, x, sampleWeight, row);
            if (m == 0) break;
            statistics.Add(xBlock.AsSpan(0, m * x.Columns), yBlock.AsSpan(0, m * t), sampleWeight is null ? [] : wBlock.AsSpan(0, m));
            row += m;
        }
    }

    private static void SameRows(int read, int expected, IRowBlockSource x, IRowBlockSource other, long row)
    {
        if (read != expected)
            throw new LearnInputException(read < expected
                ? $"{other.Source} ends at row {row + read} but {x.Source} has more rows; the rows of the files must match."
                : $"{x.Source} ends at row {row + expected} but {other.Source} has more rows; the rows of the files must match.");
    }

    /// <summary>The statistics of a ridge fit on X and Y read in blocks within <paramref name="memoryBudget"/> bytes.</summary>
    /// <exception cref="LearnInputException">When the files disagree or the budget is too small.</exception>
    public static RidgeStatistics RidgeStatistics(IRowBlockSource x, IRowBlockSource y, IRowBlockSource? sampleWeight = null,
        long memoryBudget = DefaultMemoryBudget, Parallelism parallelism = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var statistics = new RidgeStatistics(x.Columns, y.Columns, y.IsVector, parallelism);
        long w = x.Columns + y.Columns;
        Accumulate(statistics, x, y, sampleWeight, BlockRows(memoryBudget, x.Columns + y.Columns + 1, w * w));
        return statistics;
    }

    /// <summary>The statistics of a PCA fit on X read in blocks within <paramref name="memoryBudget"/> bytes.</summary>
    /// <exception cref="LearnInputException">When the budget is too small.</exception>
    public static PcaStatistics PcaStatistics(IRowBlockSource x, long memoryBudget = DefaultMemoryBudget, Parallelism parallelism = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        var statistics = new PcaStatistics(x.Columns, parallelism);
        Accumulate(statistics, x, null, null, BlockRows(memoryBudget, x.Columns, (long)x.Columns * x.Columns));
        return statistics;
    }

    /// <summary>The statistics of a CCA fit on the views X and Y read in blocks within <paramref name="memoryBudget"/> bytes.</summary>
    /// <exception cref="LearnInputException">When the files disagree or the budget is too small.</exception>
    public static CcaStatistics CcaStatistics(IRowBlockSource x, IRowBlockSource y, long memoryBudget = DefaultMemoryBudget, Parallelism parallelism = default)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        var statistics = new CcaStatistics(x.Columns, y.Columns, y.IsVector, parallelism);
        long w = x.Columns + y.Columns;
        Accumulate(statistics, x, y, null, BlockRows(memoryBudget, x.Columns + y.Columns, w * w));
        return statistics;
    }

    /// <summary>
    /// Logistic regression with X read in blocks: L-BFGS on f(θ) = Σ_blocks Σᵢ sᵢ·ℓᵢ + ½‖W‖²/C, each evaluation one pass over
    /// X summing the blocks' losses and gradients (the in-memory loss of each block, without its penalty; the penalty once).
    /// The labels and weights (n numbers each) are held in memory; X never is. <see cref="LogisticRegression.Solver"/> must
    /// be L-BFGS (Newton-CG would need a pass per Hessian-vector product).
    /// </summary>
    /// <param name="options">The estimator's options.</param>
    /// <param name="x">X, (n, d), read once per evaluation.</param>
    /// <param name="y">The labels, length n.</param>
    /// <param name="sampleWeight">sᵢ ≥ 0 or null.</param>
    /// <param name="memoryBudget">The working-set budget for X's blocks, in bytes.</param>
    /// <exception cref="LearnInputException">For what the in-memory fit refuses, a label count that differs from X's rows, or the Newton-CG solver.</exception>
    public static LogisticRegressionModel LogisticRegression(LogisticRegression options, IRowBlockSource x, int[] y, double[]? sampleWeight = null, long memoryBudget = DefaultMemoryBudget)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        options.CheckOptions();
        if (options.Solver != LogisticSolver.Lbfgs)
            throw new LearnInputException("Out-of-core logistic regression runs L-BFGS only (Newton-CG needs a pass over X per Hessian-vector product); set Solver = Lbfgs.");
        int n = y.Length, d = x.Columns;
        LearnInput.NotEmpty(n, "y");
        var classes = y.Distinct().Order().ToArray();
        if (classes.Length < 2)
            throw new LearnInputException($"y has only one class ({classes[0]}); logistic regression needs samples of at least two classes.");
        var encoded = new int[n];
        for (int i = 0; i < n; i++) encoded[i] = Array.BinarySearch(classes, y[i]);
        var s = new double[n];
        options.SampleWeights(sampleWeight, encoded, classes, s);
        int k = classes.Length > 2 ? classes.Length : 1;
        // per row: X as float64 and its mapped window, and the loss's per-row buffers (z and its scratch: k + 3 numbers)
        int blockRows = BlockRows(memoryBudget, d + (k + 3) / 2 + 1, 0);
        var objective = new StreamedLogisticLoss(x, encoded, s, k, classes.Length, options.FitIntercept, double.IsPositiveInfinity(options.C) ? 0 : 1 / options.C, blockRows, options.Parallelism);
        var result = Lbfgs.Minimize(objective, new double[objective.Dimension], new LbfgsOptions(MaxIterations: options.MaxIterations, GradientTolerance: options.Tolerance));
        var w = result.X.AsSpan(0, k * d).ToArray();
        var b = options.FitIntercept ? result.X.AsSpan(k * d, k).ToArray() : new double[k];
        var report = new LogisticRegressionReport(options.Solver, result.Iterations, result.Evaluations, result.Converged, result.Value, result.GradientMaxNorm,
            $"{result.Message} ({objective.Passes} passes over {x.Source})");
        return new LogisticRegressionModel(classes, w, b, d, report, options.Parallelism);
    }

    /// <summary>f(θ) and ∇f(θ) summed over the row blocks of X: one pass per evaluation.</summary>
    private sealed class StreamedLogisticLoss(IRowBlockSource x, int[] y, double[] s, int k, int classes, bool fitIntercept, double lambda, int blockRows, Parallelism parallelism)
        : ISmoothObjective
    {
        private readonly double[] _block = new double[(long)blockRows * x.Columns];
        private readonly int[] _labels = new int[blockRows];
        private readonly double[] _weights = new double[blockRows];

        public int Dimension => k * (x.Columns + (fitIntercept ? 1 : 0));

        public int Passes { get; private set; }

        public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
        {
            int d = x.Columns;
            gradient.Clear();
            var blockGradient = new double[Dimension];
            double value = 0;
            long row = 0;
            x.Reset();
            Passes++;
            int m;
            while ((m = x.Read(_block)) > 0)
            {
                if (row + m > y.Length)
                    throw new LearnInputException($"{x.Source} has more rows than the {y.Length} labels; pass one label per row of X.");
                LearnInput.FiniteByChunks(_block.AsSpan(0, m * d), d, $"{x.Source} rows from {row}: X");
                y.AsSpan((int)row, m).CopyTo(_labels);
                s.AsSpan((int)row, m).CopyTo(_weights);
                using var loss = new LogisticLoss(DesignMatrix.Dense(m, d, _block), _labels[..m], _weights[..m], classes, fitIntercept, 0, parallelism);
                value += loss.Evaluate(theta, blockGradient);
                for (int i = 0; i < gradient.Length; i++) gradient[i] += blockGradient[i];
                row += m;
            }
            if (row != y.Length)
                throw new LearnInputException($"{x.Source} has {row} rows but there are {y.Length} labels; pass one label per row of X.");
            // ½λ‖W‖² and λW, once
            var w = theta[..(k * d)];
            value += 0.5 * lambda * Dense.Dot(w, w);
            Dense.Axpy(lambda, w, gradient[..(k * d)]);
            return value;
        }
    }
}
