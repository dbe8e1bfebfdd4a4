using System.Buffers;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Learn.Optimization;

/// <summary>
/// Limited-memory BFGS for smooth unconstrained float64 objectives, with the stopping rules and line search of L-BFGS-B
/// (Byrd, Lu, Nocedal and Zhu 1995; Zhu et al. 1997, the Fortran code behind SciPy's <c>minimize(method="L-BFGS-B")</c>)
/// when it has no bounds, so that an estimator calling it with scikit-learn's options stops where scikit-learn does.
/// <code>
/// d_k = −H_k·∇f(x_k)         H_k from the last m pairs (s, y) = (x_{k+1} − x_k, ∇f_{k+1} − ∇f_k) by the two-loop recursion,
///                            H⁰ = (sᵀy / yᵀy)·I; the first step (and one after a restart) is steepest descent
/// x_{k+1} = x_k + α_k·d_k    α_k by the Moré–Thuente search (ftol 1e-3, gtol 0.9, xtol 0.1), trying α = 1 first
///                            (α = 1/‖d‖ on the very first iteration)
/// </code>
/// A pair with sᵀy ≤ ε·(−∇f_kᵀs) is skipped. It stops when max|∇f| ≤ <see cref="LbfgsOptions.GradientTolerance"/>
/// (pgtol), when (f_k − f_{k+1}) / max(|f_k|, |f_{k+1}|, 1) ≤ <see cref="LbfgsOptions.RelativeReductionTolerance"/>
/// (factr·ε), or at the iteration limit. A failed line search restarts from steepest descent with an empty memory; a
/// failure on a steepest-descent step ends the run ("ABNORMAL_TERMINATION_IN_LNSRCH").
/// </summary>
public static class Lbfgs
{
    private const double StepMax = 1e10;

    /// <summary>Minimizes <paramref name="objective"/> from <paramref name="x0"/>.</summary>
    /// <exception cref="ArgumentException">When x0's length is not the objective's dimension, or an option is out of range.</exception>
    public static OptimizationResult Minimize(ISmoothObjective objective, ReadOnlySpan<double> x0, LbfgsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(objective);
        options ??= new LbfgsOptions();
        options.Validate();
        int n = objective.Dimension;
        if (x0.Length != n)
            throw new ArgumentException($"x0 has length {x0.Length} but the objective has {n} variables.", nameof(x0));

        int m = options.Memory;
        // The m pairs (s_j, y_j) live in one pooled block (2·m·n values: the bulk of the optimizer's memory), returned at the end.
        var pairs = ArrayPool<double>.Shared.Rent(Math.Max(2 * m * n, 1));
        try
        {
            return Minimize(objective, x0, options, pairs);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(pairs);
        }
    }

    private static OptimizationResult Minimize(ISmoothObjective objective, ReadOnlySpan<double> x0, LbfgsOptions options, double[] pairs)
    {
        int n = objective.Dimension, m = options.Memory;
        Span<double> S(int j) => pairs.AsSpan(j * n, n);
        Span<double> Y(int j) => pairs.AsSpan((m + j) * n, n);
        var rho = new double[m];
        var alpha = new double[m];
        int stored = 0, newest = -1;
        double theta = 1;

        var x = x0.ToArray();
        var g = new double[n];
        var xOld = new double[n];
        var gOld = new double[n];
        var d = new double[n];
        double f = objective.Evaluate(x, g);
        int evaluations = 1, iterations = 0;
        if (!double.IsFinite(f))
            return new OptimizationResult(x, f, Dense.MaxAbs(g), 0, evaluations, false, "ABNORMAL: the objective is not finite at x0");
        double gradNorm = Dense.MaxAbs(g);
        if (gradNorm <= options.GradientTolerance)
            return new OptimizationResult(x, f, gradNorm, 0, evaluations, true, "CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL");

        while (true)
        {
            // d = −H·g by the two-loop recursion (steepest descent −g when the memory is empty: θ = 1).
            for (int i = 0; i < n; i++) d[i] = -g[i];
            for (int k = 0, j = newest; k < stored; k++, j = (j - 1 + m) % m)
            {
                alpha[j] = rho[j] * Dense.Dot(S(j), d);
                Dense.Axpy(-alpha[j], Y(j), d);
            }
            if (stored > 0) Dense.Scale(1 / theta, d);
            for (int k = 0, j = (newest - stored + 1 + m) % m; k < stored; k++, j = (j + 1) % m)
            {
                double beta = rho[j] * Dense.Dot(Y(j), d);
                Dense.Axpy(alpha[j] - beta, S(j), d);
            }

            double fOld = f;
            Array.Copy(x, xOld, n);
            Array.Copy(g, gOld, n);
            double slope0 = Dense.Dot(g, d);
            bool failed;
            double step = 0;
            if (!(slope0 < 0))
            {
                failed = true; // not a descent direction (info = −4 in lnsrlb)
            }
            else
            {
                double dNorm = Dense.Norm2(d);
                double step0 = iterations == 0 ? Math.Min(1 / dNorm, StepMax) : 1;
                var search = MoreThuente.Search(a =>
                {
                    for (int i = 0; i < n; i++) x[i] = xOld[i] + a * d[i];
                    double value = objective.Evaluate(x, g);
                    evaluations++;
                    return (value, Dense.Dot(g, d));
                }, fOld, slope0, step0, ftol: 1e-3, gtol: 0.9, xtol: 0.1, stepMin: 0, stepMax: StepMax, options.MaxLineSearchSteps);
                failed = search.Status == MoreThuente.Status.TooManyEvaluations || !double.IsFinite(search.Value);
                step = search.Step;
                f = search.Value;
            }
            if (failed)
            {
                Array.Copy(xOld, x, n);
                Array.Copy(gOld, g, n);
                f = fOld;
                if (stored == 0)
                    return new OptimizationResult(x, f, Dense.MaxAbs(g), iterations + 1, evaluations, false, "ABNORMAL_TERMINATION_IN_LNSRCH");
                stored = 0; // refresh the memory and restart from steepest descent
                newest = -1;
                theta = 1;
                continue;
            }

            iterations++;
            gradNorm = Dense.MaxAbs(g);
            if (iterations >= options.MaxIterations && !(gradNorm <= options.GradientTolerance))
                return new OptimizationResult(x, f, gradNorm, iterations, evaluations, false, "STOP: TOTAL NO. of ITERATIONS REACHED LIMIT");
            if (evaluations > options.MaxEvaluations)
                return new OptimizationResult(x, f, gradNorm, iterations, evaluations, false, "STOP: TOTAL NO. of f AND g EVALUATIONS EXCEEDS LIMIT");
            if (gradNorm <= options.GradientTolerance)
                return new OptimizationResult(x, f, gradNorm, iterations, evaluations, true, "CONVERGENCE: NORM_OF_PROJECTED_GRADIENT_<=_PGTOL");
            if (fOld - f <= options.RelativeReductionTolerance * Math.Max(Math.Max(Math.Abs(fOld), Math.Abs(f)), 1))
                return new OptimizationResult(x, f, gradNorm, iterations, evaluations, true, "CONVERGENCE: REL_REDUCTION_OF_F_<=_FACTR*EPSMCH");

            // The new pair s = α·d, y = g − g_old; skipped unless the curvature sᵀy is clearly positive.
            int next = (newest + 1) % m;
            var sNew = S(next);
            var yNew = Y(next);
            for (int i = 0; i < n; i++)
            {
                sNew[i] = x[i] - xOld[i];
                yNew[i] = g[i] - gOld[i];
            }
            double sy = Dense.Dot(sNew, yNew);
            if (sy <= MachineEpsilon.Double * -slope0 * step) continue;
            rho[next] = 1 / sy;
            theta = Dense.Dot(yNew, yNew) / sy;
            newest = next;
            stored = Math.Min(stored + 1, m);
        }
    }
}

/// <summary>Options of <see cref="Lbfgs"/>, with SciPy's L-BFGS-B defaults except the gradient tolerance (set by the caller).</summary>
/// <param name="Memory">m, the number of (s, y) pairs kept (SciPy's maxcor, default 10).</param>
/// <param name="MaxIterations">The iteration limit (scikit-learn's max_iter, default 100).</param>
/// <param name="GradientTolerance">Stop when max|∇f| ≤ this (SciPy's gtol / pgtol; scikit-learn passes its tol, default 1e-4).</param>
/// <param name="RelativeReductionTolerance">Stop when the relative reduction of f is at most this (SciPy's ftol = factr·ε, default 1e7·ε ≈ 2.2e-9).</param>
/// <param name="MaxEvaluations">The evaluation limit (SciPy's maxfun, default 15000).</param>
/// <param name="MaxLineSearchSteps">Evaluations per line search (SciPy's maxls, default 20).</param>
public sealed record LbfgsOptions(
    int Memory = 10,
    int MaxIterations = 100,
    double GradientTolerance = 1e-5,
    double RelativeReductionTolerance = 1e7 * MachineEpsilon.Double,
    int MaxEvaluations = 15000,
    int MaxLineSearchSteps = 20)
{
    internal void Validate()
    {
        if (Memory < 1) throw new ArgumentException($"L-BFGS memory must be at least 1, not {Memory}.", nameof(Memory));
        if (MaxIterations < 1) throw new ArgumentException($"MaxIterations must be at least 1, not {MaxIterations}.", nameof(MaxIterations));
        if (!(GradientTolerance >= 0)) throw new ArgumentException($"GradientTolerance must be ≥ 0, not {GradientTolerance}.", nameof(GradientTolerance));
        if (!(RelativeReductionTolerance >= 0)) throw new ArgumentException($"RelativeReductionTolerance must be ≥ 0, not {RelativeReductionTolerance}.", nameof(RelativeReductionTolerance));
        if (MaxLineSearchSteps < 1) throw new ArgumentException($"MaxLineSearchSteps must be at least 1, not {MaxLineSearchSteps}.", nameof(MaxLineSearchSteps));
    }
}
