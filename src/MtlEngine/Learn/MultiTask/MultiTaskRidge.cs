using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.Learn;

/// <summary>
/// Regularized multi-task learning (Evgeniou and Pontil, "Regularized multi-task learning", KDD 2004): T regression
/// tasks, each with its own data (X_t of shape (n_t, d), y_t of length n_t) and its own weights w_t = w₀ + v_t, a part
/// w₀ shared by every task and a task-specific offset v_t. The fit minimizes exactly
/// <code>
/// J(w₀, v, b) = Σ_t ‖y_t − X_t·(w₀ + v_t) − b_t·1‖² + λ_shared·‖w₀‖² + λ_task·Σ_t ‖v_t‖²
/// </code>
/// with one unpenalized intercept b_t per task (b = 0 without <see cref="FitIntercept"/>). The ratio λ_task / λ_shared
/// decides how much is shared: λ_task → ∞ forces v_t = 0, one pooled ridge model (penalty λ_shared) on the tasks' data,
/// each task centred by its own means; λ_shared → ∞ forces w₀ = 0, T independent ridge models with α = λ_task.
/// <para>
/// Solution (exact). The optimal b_t = ȳ_t − x̄_tᵀw_t, so each task is centred: X̃_t, ỹ_t. With G_t = X̃_tᵀX̃_t,
/// c_t = X̃_tᵀỹ_t and A_t = G_t + λ_task·I, the normal equations in (w₀, v_1..v_T) are the block-arrow system
/// <code>
/// (Σ_t G_t + λ_shared·I)·w₀ + Σ_t G_t·v_t = Σ_t c_t
/// G_t·w₀ + A_t·v_t = c_t                                          (t = 1..T)
/// </code>
/// Eliminating v_t = A_t⁻¹(c_t − G_t·w₀) leaves the Schur complement (using G − G·A⁻¹·G = λ_task·A⁻¹·G):
/// <code>
/// (λ_shared·I + λ_task·Σ_t A_t⁻¹G_t)·w₀ = λ_task·Σ_t A_t⁻¹c_t
/// </code>
/// solved with T + 1 Cholesky factorizations of d×d matrices. The textbook twin is <see cref="FitBlockSystem"/>: the whole
/// d·(T+1) system (the feature map φ_t(x) = (x, 0, …, x, …, 0) of the paper) by one Cholesky.
/// </para>
/// </summary>
/// <param name="LambdaShared">λ_shared &gt; 0, the penalty on the shared part w₀ (default 1); +∞ gives independent tasks.</param>
/// <param name="LambdaTask">λ_task &gt; 0, the penalty on each task's offset v_t (default 1); +∞ gives one pooled model.</param>
/// <param name="FitIntercept">One unpenalized intercept per task (default true).</param>
/// <param name="Parallelism">Threads for the GEMM and the factorizations.</param>
public sealed record MultiTaskRidge(
    double LambdaShared = 1.0,
    double LambdaTask = 1.0,
    bool FitIntercept = true,
    Parallelism Parallelism = default)
{
    /// <summary>Fits w₀, v_t and b_t.</summary>
    /// <param name="x">X_t per task, each of shape (n_t, n_features) (the same number of features for every task).</param>
    /// <param name="y">y_t per task, each of shape (n_t,) or (n_t, 1).</param>
    /// <exception cref="LearnInputException">When there are no tasks, the lists differ in length, shapes disagree, a value is not finite or a λ is not &gt; 0.</exception>
    public MultiTaskRidgeModel Fit(IReadOnlyList<MtlTensor<double>> x, IReadOnlyList<MtlTensor<double>> y) => Fit(Prepare(x, y));

    /// <summary>The fit from each task's centred statistics (means, G_t, c_t): shared by <see cref="MultiTaskRidgeStatistics"/>.</summary>
    internal MultiTaskRidgeModel Fit(List<TaskData> tasks)
    {
        int d = tasks[0].Gram.Columns, count = tasks.Count;
        var w0 = new double[d];
        var v = new DenseMatrix(count, d);
        bool pooled = double.IsPositiveInfinity(LambdaTask), independent = double.IsPositiveInfinity(LambdaShared);
        if (independent && pooled)
        {
            // Both parts penalized infinitely: every weight is 0.
        }
        else if (pooled)
        {
            // v_t = 0: (Σ G_t + λ_shared·I)·w₀ = Σ c_t, one ridge on the stacked, per-task centred data.
            var s = new DenseMatrix(d, d);
            var rhs = new double[d];
            foreach (var task in tasks)
            {
                Add(s, task.Gram);
                Dense.Axpy(1, task.Xty, rhs);
            }
            AddDiagonal(s, LambdaShared);
            LinearAlgebra.Cholesky.Factor(s, Parallelism).Solve(rhs).CopyTo(w0, 0);
        }
        else
        {
            var factors = new LinearAlgebra.Cholesky[count];
            for (int t = 0; t < count; t++)
            {
                var a = tasks[t].Gram.Clone();
                AddDiagonal(a, LambdaTask);
                factors[t] = LinearAlgebra.Cholesky.Factor(a, Parallelism);
            }
            if (!independent)
            {
                // (λ_shared·I + λ_task·Σ_t A_t⁻¹G_t)·w₀ = λ_task·Σ_t A_t⁻¹c_t
                var s = new DenseMatrix(d, d);
                var rhs = new double[d];
                for (int t = 0; t < count; t++)
                {
                    Add(s, factors[t].Solve(tasks[t].Gram));
                    Dense.Axpy(1, factors[t].Solve(tasks[t].Xty), rhs);
                }
                for (int i = 0; i < d; i++)
                    for (int j = 0; j < i; j++) s[i, j] = s[j, i] = 0.5 * (s[i, j] + s[j, i]); // symmetric up to rounding
                Dense.Scale(LambdaTask, s.Data);
                Dense.Scale(LambdaTask, rhs);
                AddDiagonal(s, LambdaShared);
                LinearAlgebra.Cholesky.Factor(s, Parallelism).Solve(rhs).CopyTo(w0, 0);
            }
            // v_t = A_t⁻¹(c_t − G_t·w₀)
            var gw = new double[d];
            var residual = new double[d];
            for (int t = 0; t < count; t++)
            {
                Gemv(tasks[t].Gram, w0, gw);
                for (int f = 0; f < d; f++) residual[f] = tasks[t].Xty[f] - gw[f];
                factors[t].Solve(residual).CopyTo(v.Row(t));
            }
        }
        return Finish(tasks, w0, v);
    }

    /// <summary>
    /// The textbook twin of <see cref="Fit(IReadOnlyList{MtlTensor{double}}, IReadOnlyList{MtlTensor{double}})"/>: the normal equations of the feature-map form as one symmetric positive
    /// definite system of order d·(T + 1) in θ = (w₀, v_1, …, v_T), solved by one Cholesky (finite λ only).
    /// </summary>
    public MultiTaskRidgeModel FitBlockSystem(IReadOnlyList<MtlTensor<double>> x, IReadOnlyList<MtlTensor<double>> y)
    {
        var tasks = Prepare(x, y);
        if (double.IsInfinity(LambdaShared) || double.IsInfinity(LambdaTask))
            throw new LearnInputException("The block-system twin needs finite λ_shared and λ_task.");
        int d = tasks[0].Gram.Columns, count = tasks.Count, order = d * (count + 1);
        var m = new DenseMatrix(order, order);
        var rhs = new double[order];
        for (int t = 0; t < count; t++)
        {
            int o = d * (t + 1);
            for (int i = 0; i < d; i++)
            {
                rhs[i] += tasks[t].Xty[i];
                rhs[o + i] = tasks[t].Xty[i];
                for (int j = 0; j < d; j++)
                {
                    double g = tasks[t].Gram[i, j];
                    m[i, j] += g;          // (0, 0): Σ G_t
                    m[o + i, j] = g;       // (t, 0) and (0, t): G_t
                    m[i, o + j] = g;
                    m[o + i, o + j] = g;   // (t, t): G_t (+ λ_task·I below)
                }
            }
        }
        for (int i = 0; i < order; i++) m[i, i] += i < d ? LambdaShared : LambdaTask;
        var theta = LinearAlgebra.Cholesky.Factor(m, Parallelism).Solve(rhs);
        var v = new DenseMatrix(count, d);
        for (int t = 0; t < count; t++) theta.AsSpan(d * (t + 1), d).CopyTo(v.Row(t));
        return Finish(tasks, theta[..d], v);
    }

    private MultiTaskRidgeModel Finish(List<TaskData> tasks, double[] w0, DenseMatrix v)
    {
        int d = w0.Length;
        var w = new DenseMatrix(tasks.Count, d);
        var intercept = new double[tasks.Count];
        for (int t = 0; t < tasks.Count; t++)
        {
            for (int f = 0; f < d; f++) w[t, f] = w0[f] + v[t, f];
            intercept[t] = FitIntercept ? tasks[t].YMean - Dense.Dot(tasks[t].XMean, w.Row(t)) : 0;
        }
        return new MultiTaskRidgeModel(this, w0, v, w, intercept);
    }

    /// <summary>One task's centred data and its Gram statistics.</summary>
    internal sealed record TaskData(double[] XMean, double YMean, DenseMatrix Gram, double[] Xty);

    private List<TaskData> Prepare(IReadOnlyList<MtlTensor<double>> x, IReadOnlyList<MtlTensor<double>> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        if (x.Count == 0)
            throw new LearnInputException("MultiTaskRidge needs at least one task (one X and one y per task).");
        if (x.Count != y.Count)
            throw new LearnInputException($"MultiTaskRidge got {x.Count} X matrices but {y.Count} y vectors; pass one of each per task.");
        CheckPenalties();
        var tasks = new List<TaskData>(x.Count);
        int d = -1;
        for (int t = 0; t < x.Count; t++)
        {
            var (n, columns, xv) = LearnInput.Matrix(x[t], $"X[{t}]");
            var (ny, targets, yv) = LearnInput.Targets(y[t], $"y[{t}]");
            if (targets != 1)
                throw new LearnInputException($"y[{t}] has {targets} columns; MultiTaskRidge takes one target per task (shape (n_t,)).");
            if (ny != n)
                throw new LearnInputException($"Task {t}: X has {n} rows but y has {ny}; pass one target per sample.");
            if (d >= 0 && columns != d)
                throw new LearnInputException($"Task {t}: X has {columns} features but task 0 has {d}; every task needs the same features.");
            d = columns;
            LearnInput.NotEmpty(n, $"X[{t}]");
            LearnInput.Finite(xv, d, $"X[{t}]");
            LearnInput.Finite(yv, 1, $"y[{t}]");
            var xm = new DenseMatrix(n, d, xv);
            var xMean = new double[d];
            double yMean = 0;
            if (FitIntercept)
            {
                for (int i = 0; i < n; i++) Dense.Axpy(1.0 / n, xm.Row(i), xMean);
                yMean = yv.Average();
                for (int i = 0; i < n; i++)
                {
                    Dense.Axpy(-1, xMean, xm.Row(i));
                    yv[i] -= yMean;
                }
            }
            var gram = RidgeProblem.Gram(xm, Parallelism);
            var xty = new double[d];
            new DenseOperator(xm, Parallelism).ApplyTransposed(yv, xty);
            tasks.Add(new TaskData(xMean, yMean, gram, xty));
        }
        return tasks;
    }

    /// <summary>Refuses a λ that is not &gt; 0.</summary>
    internal void CheckPenalties()
    {
        foreach (var (lambda, name) in new[] { (LambdaShared, "LambdaShared"), (LambdaTask, "LambdaTask") })
            if (!(lambda > 0))
                throw new LearnInputException($"{name} must be > 0 (or +∞), but is {lambda}.");
    }

    private static void Add(DenseMatrix target, DenseMatrix addend)
    {
        for (int i = 0; i < target.Data.Length; i++) target.Data[i] += addend.Data[i];
    }

    private static void AddDiagonal(DenseMatrix a, double value)
    {
        for (int i = 0; i < a.Rows; i++) a[i, i] += value;
    }

    private static void Gemv(DenseMatrix a, double[] x, double[] result)
    {
        for (int i = 0; i < a.Rows; i++) result[i] = Dense.Dot(a.Row(i), x);
    }
}

/// <summary>A fitted <see cref="MultiTaskRidge"/>: per task ŷ = X_t·w_t + b_t with w_t = w₀ + v_t. Saved as a model file of kind "multitask_ridge" (<see cref="Save"/>).</summary>
public sealed class MultiTaskRidgeModel
{
    /// <summary>The model kind in the file's metadata.</summary>
    public const string Kind = "multitask_ridge";

    private readonly double[] _w0;
    private readonly DenseMatrix _v;
    private readonly DenseMatrix _w;
    private readonly double[] _intercept;

    internal MultiTaskRidgeModel(MultiTaskRidge options, double[] w0, DenseMatrix v, DenseMatrix w, double[] intercept)
    {
        Options = options;
        _w0 = w0;
        _v = v;
        _w = w;
        _intercept = intercept;
    }

    /// <summary>The options it was fitted with.</summary>
    public MultiTaskRidge Options { get; }

    /// <summary>The number of tasks T.</summary>
    public int Tasks => _w.Rows;

    /// <summary>The number of features d.</summary>
    public int Features => _w.Columns;

    /// <summary>w₀, the part shared by every task, length d.</summary>
    public double[] SharedCoefficients => (double[])_w0.Clone();

    /// <summary>v_t, each task's offset from the shared part, shape (T, d).</summary>
    public MtlTensor<double> TaskOffsets => _v.ToTensor();

    /// <summary>w_t = w₀ + v_t, shape (T, d).</summary>
    public MtlTensor<double> Coefficients => _w.ToTensor();

    /// <summary>b_t, one intercept per task.</summary>
    public double[] Intercept => (double[])_intercept.Clone();

    /// <summary>Predictions X·w_t + b_t for task <paramref name="task"/>, shape (n_samples,).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When there is no such task.</exception>
    /// <exception cref="LearnInputException">When X has another number of features.</exception>
    public MtlTensor<double> Predict(int task, MtlTensor<double> x)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(task);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(task, Tasks);
        var (n, d, xv) = LearnInput.Matrix(x, "X");
        LearnInput.Features(Features, d, "MultiTaskRidge");
        var p = new double[n];
        new DenseOperator(new DenseMatrix(n, d, xv), Options.Parallelism).Apply(_w.Row(task), p);
        for (int i = 0; i < n; i++) p[i] += _intercept[task];
        return MtlTensor.FromArray(p, n);
    }

    /// <summary>Predictions of every task for the same X: column t is <see cref="Predict(int, MtlTensor{double})"/> of task t, shape (n_samples, T).</summary>
    /// <exception cref="LearnInputException">When X has another number of features.</exception>
    public MtlTensor<double> PredictAll(MtlTensor<double> x)
    {
        var (n, d, xv) = LearnInput.Matrix(x, "X");
        LearnInput.Features(Features, d, "MultiTaskRidge");
        var xm = new DenseMatrix(n, d, xv);
        var p = new DenseMatrix(n, Tasks);
        var column = new double[n];
        for (int t = 0; t < Tasks; t++)
        {
            // The same product as Predict(t, x), so both give the same bits.
            new DenseOperator(xm, Options.Parallelism).Apply(_w.Row(t), column);
            for (int i = 0; i < n; i++) p[i, t] = column[i] + _intercept[t];
        }
        return p.ToTensor();
    }

    /// <summary>
    /// Writes the model as safetensors (kind "multitask_ridge"): <c>coef_</c> (T, n_features) = w_t, <c>intercept_</c> (T),
    /// <c>shared_coef_</c> (n_features) = w₀ and <c>task_coef_</c> (T, n_features) = v_t, all float64; metadata
    /// lambda_shared, lambda_task (either may be "Infinity") and fit_intercept.
    /// </summary>
    public void Save(string path)
    {
        ModelFile.Write(path, Kind,
        [
            NdArray.Create("coef_", (double[])_w.Data.Clone(), Tasks, Features),
            NdArray.Create("intercept_", (double[])_intercept.Clone(), Tasks),
            NdArray.Create("shared_coef_", (double[])_w0.Clone(), Features),
            NdArray.Create("task_coef_", (double[])_v.Data.Clone(), Tasks, Features),
        ], new Dictionary<string, string>
        {
            ["lambda_shared"] = ModelFileArrays.Text(Options.LambdaShared),
            ["lambda_task"] = ModelFileArrays.Text(Options.LambdaTask),
            ["fit_intercept"] = ModelFileArrays.Text(Options.FitIntercept),
        });
    }

    /// <summary>Reads a model written by <see cref="Save"/>; it predicts exactly as the saved one.</summary>
    /// <exception cref="DataFormatException">When the file is not a "multitask_ridge" model or its arrays do not fit together.</exception>
    public static MultiTaskRidgeModel Load(string path, Parallelism parallelism = default)
    {
        var file = ModelFile.Read(path, Kind);
        var w = file.Matrix("coef_");
        int tasks = w.Rows, d = w.Columns;
        var intercept = file.Vector("intercept_", tasks);
        var w0 = file.Vector("shared_coef_", d);
        var v = file.Matrix("task_coef_", tasks, d);
        double lambdaShared = file.Real("lambda_shared"), lambdaTask = file.Real("lambda_task");
        if (!(lambdaShared > 0) || !(lambdaTask > 0))
            throw new DataFormatException(path, $"the '{Kind}' model's λ_shared = {lambdaShared} and λ_task = {lambdaTask} must both be > 0");
        var options = new MultiTaskRidge(lambdaShared, lambdaTask, file.Flag("fit_intercept"), parallelism);
        return new MultiTaskRidgeModel(options, w0, v, w, intercept);
    }

    /// <summary>The objective J(w₀, v, b) of <see cref="MultiTaskRidge"/> at this model on the given tasks' data.</summary>
    public double Objective(IReadOnlyList<MtlTensor<double>> x, IReadOnlyList<MtlTensor<double>> y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        double j = 0;
        for (int t = 0; t < x.Count; t++)
        {
            var p = Predict(t, x[t]).ToArray();
            var target = y[t].ToArray();
            for (int i = 0; i < p.Length; i++) j += (target[i] - p[i]) * (target[i] - p[i]);
        }
        j += Penalty(Options.LambdaShared, Dense.Dot(_w0, _w0));
        for (int t = 0; t < Tasks; t++) j += Penalty(Options.LambdaTask, Dense.Dot(_v.Row(t), _v.Row(t)));
        return j;
    }

    /// <summary>λ·‖·‖², with an infinite λ on a zero part counting 0 (the limit the fit reached).</summary>
    private static double Penalty(double lambda, double squaredNorm) => squaredNorm == 0 ? 0 : lambda * squaredNorm;
}
