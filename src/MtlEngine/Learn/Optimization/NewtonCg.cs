using MtlEngine.LinearAlgebra;

namespace MtlEngine.Learn.Optimization;

/// <summary>
/// Truncated Newton (Newton-CG) for smooth convex float64 objectives, as scikit-learn's <c>_newton_cg</c>: each outer
/// step solves the Newton system ∇²f(x_k)·p = −∇f(x_k) approximately by conjugate gradients on Hessian-vector products
/// (the Hessian is never formed), stopping CG when ‖r‖₁ ≤ η·‖∇f‖₁ with η = min(0.5, √‖∇f‖₁) (the forcing sequence of
/// Eisenstat–Walker / Nocedal–Wright §7.1), then takes a Wolfe step along p (Moré–Thuente, c₁ = 1e-4, c₂ = 0.9, from
/// α = 1 or SciPy's guess from the previous decrease).
/// It stops when max|∇f| ≤ <see cref="NewtonCgOptions.GradientTolerance"/> or at the iteration limit.
/// </summary>
public static class NewtonCg
{
    /// <summary>Minimizes <paramref name="objective"/> from <paramref name="x0"/>.</summary>
    /// <exception cref="ArgumentException">When x0's length is not the objective's dimension, or an option is out of range.</exception>
    public static OptimizationResult Minimize(ISecondOrderObjective objective, ReadOnlySpan<double> x0, NewtonCgOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(objective);
        options ??= new NewtonCgOptions();
        if (options.MaxIterations < 1 || options.MaxInnerIterations < 1 || !(options.GradientTolerance >= 0))
            throw new ArgumentException($"Newton-CG options out of range: {options}.", nameof(options));
        int n = objective.Dimension;
        if (x0.Length != n)
            throw new ArgumentException($"x0 has length {x0.Length} but the objective has {n} variables.", nameof(x0));

        var x = x0.ToArray();
        var g = new double[n];
        var p = new double[n];
        var xTrial = new double[n];
        var gTrial = new double[n];
        var cg = new CgWorkspace(n); // the inner solver's vectors, once per run (not per Newton step)
        double f = objective.Evaluate(x, g);
        double? fOlder = null;
        int evaluations = 1, k = 0;
        double gradNorm = double.NaN;
        while (k < options.MaxIterations)
        {
            objective.SetHessianPoint(x, g);
            gradNorm = Dense.MaxAbs(g);
            if (gradNorm <= options.GradientTolerance)
                return new OptimizationResult(x, f, gradNorm, k, evaluations, true, "CONVERGENCE: max|gradient| <= tol");

            double gradL1 = 0;
            foreach (double gi in g) gradL1 += Math.Abs(gi);
            double eta = Math.Min(0.5, Math.Sqrt(gradL1));
            ConjugateGradient(objective, g, p, options.MaxInnerIterations, eta * gradL1, cg);

            // Wolfe line search along p; SciPy's first trial: min(1, 1.01·2·(f_k − f_{k−1}) / ∇fᵀp) when there is a previous step.
            double slope0 = Dense.Dot(g, p);
            if (!(slope0 < 0))
                return new OptimizationResult(x, f, gradNorm, k, evaluations, false, "Line search failed: not a descent direction");
            double step0 = 1;
            if (fOlder is double previous)
            {
                step0 = Math.Min(1.0, 1.01 * 2 * (f - previous) / slope0);
                if (!(step0 > 0)) step0 = 1;
            }
            var search = MoreThuente.Search(a =>
            {
                for (int i = 0; i < n; i++) xTrial[i] = x[i] + a * p[i];
                double value = objective.Evaluate(xTrial, gTrial);
                evaluations++;
                return (value, Dense.Dot(gTrial, p));
            }, f, slope0, step0, ftol: 1e-4, gtol: 0.9, xtol: 1e-14, stepMin: 1e-8, stepMax: 50, maxEvaluations: 100);
            if (search.Status != MoreThuente.Status.Converged && !(search.Value < f))
                return new OptimizationResult(x, f, gradNorm, k, evaluations, false, "Line Search failed");
            // The trial point of the last evaluation is the accepted step.
            Array.Copy(xTrial, x, n);
            Array.Copy(gTrial, g, n);
            fOlder = f;
            f = search.Value;
            k++;
        }
        gradNorm = Dense.MaxAbs(g);
        bool converged = gradNorm <= options.GradientTolerance;
        return new OptimizationResult(x, f, gradNorm, k, evaluations, converged,
            converged ? "CONVERGENCE: max|gradient| <= tol" : "newton-cg reached the iteration limit");
    }

    // CG on ∇²f·p = −g from p = 0 (scikit-learn's _cg): stop when ‖r‖₁ ≤ tol, on (near) zero curvature, or on negative
    // curvature (taking the steepest-descent step scaled by the curvature if that happens at once). Near zero curvature is
    // dᵀ∇²f·d ≤ 3ε·‖d‖² here, relative to the direction (scikit-learn tests dᵀ∇²f·d ≤ 3ε, which stops every step once
    // ‖∇f‖ is below ~1e-8 whatever the tolerance).
    private static void ConjugateGradient(ISecondOrderObjective objective, double[] gradient, double[] p, int maxIterations, double tolerance, CgWorkspace work)
    {
        int n = gradient.Length;
        Array.Clear(p);
        var r = work.Residual;
        Array.Copy(gradient, r, n);
        var direction = work.Direction;
        for (int i = 0; i < n; i++) direction[i] = -r[i];
        var hd = work.HessianTimesDirection;
        double rr = Dense.Dot(r, r);
        for (int i = 0; i <= maxIterations; i++)
        {
            double rL1 = 0;
            foreach (double ri in r) rL1 += Math.Abs(ri);
            if (rL1 <= tolerance) break;
            objective.HessianVector(direction, hd);
            double curvature = Dense.Dot(direction, hd);
            if (curvature >= 0 && curvature <= 3 * MachineEpsilon.Double * Dense.Dot(direction, direction)) break;
            if (curvature < 0)
            {
                if (i == 0) Dense.Axpy(rr / curvature, direction, p);
                break;
            }
            double alpha = rr / curvature;
            Dense.Axpy(alpha, direction, p);
            Dense.Axpy(alpha, hd, r);
            double rrNew = Dense.Dot(r, r);
            double beta = rrNew / rr;
            for (int j = 0; j < n; j++) direction[j] = -r[j] + beta * direction[j];
            rr = rrNew;
        }
    }
}

/// <summary>The vectors of Newton-CG's inner conjugate-gradient solve: r, the direction d and ∇²f·d, each of length n.</summary>
internal sealed class CgWorkspace(int n)
{
    public double[] Residual { get; } = new double[n];

    public double[] Direction { get; } = new double[n];

    public double[] HessianTimesDirection { get; } = new double[n];
}

/// <summary>Options of <see cref="NewtonCg"/>, with scikit-learn's defaults.</summary>
/// <param name="MaxIterations">Newton iterations (scikit-learn's max_iter, default 100).</param>
/// <param name="GradientTolerance">Stop when max|∇f| ≤ this (scikit-learn's tol, default 1e-4).</param>
/// <param name="MaxInnerIterations">CG iterations per Newton step (scikit-learn's maxinner, default 200).</param>
public sealed record NewtonCgOptions(int MaxIterations = 100, double GradientTolerance = 1e-4, int MaxInnerIterations = 200);
