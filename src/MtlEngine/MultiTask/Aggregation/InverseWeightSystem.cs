using System.Numerics.Tensors;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.Tensors;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// The weights w &gt; 0 with G·w = w^(−p) elementwise, G = J·Jᵀ the Gramian of the task gradients: Nash-MTL's
/// bargaining system (p = 1) and FairGrad's α-fair system (p = 1/α). Solved exactly (to machine precision), not by
/// the papers' iterative approximations.
/// </summary>
/// <remarks>
/// <para><b>Scaled basis.</b> With sᵢ = ‖gᵢ‖ and the cosine matrix C = S⁻¹GS⁻¹ (unit diagonal), the substitution
/// vᵢ = sᵢ·wᵢ turns the system into C·v = r ⊙ v^(−p) with rᵢ = sᵢ^(p−1) (r = 1 for Nash-MTL: its weights are exactly
/// inversely proportional to the gradient norms in this basis). C does not see the gradient norms, so norms that differ
/// by 10⁶ cost no accuracy; w = S⁻¹v maps back.</para>
/// <para><b>Convex problem.</b> C·v − r ⊙ v^(−p) is the gradient of f(v) = ½vᵀCv − Σ rᵢ·φ(vᵢ), φ(v) = log v (p = 1)
/// or v^(1−p)/(1−p); φ is strictly concave for p &gt; 0, so f is strictly convex on v &gt; 0 even when C is singular, and
/// the solution, when it exists, is unique. Newton's method on f with an exact line search (the root of the
/// directional derivative, kept inside v &gt; 0) converges from any start, quadratically at the end. Hessian:
/// C + diag(p·rᵢ·vᵢ^(−p−1)), positive definite.</para>
/// <para><b>When there is no solution.</b> f has a minimizer unless a direction d ≥ 0, d ≠ 0 has C·d = 0, i.e. unless
/// a non-negative combination of the task gradients is zero (a zero gradient, two opposite gradients, the origin in
/// the convex hull: a Pareto-stationary point, where MGDA's min-norm point is 0). There f decreases without bound
/// along d and the weights would be infinite. A rank-deficient J is fine otherwise (g₃ = g₁ + g₂, T &gt; P with the
/// gradients in an open half-space). Near that boundary the direction D = Σ wᵢgᵢ is a sum of terms whose norms add up
/// to κ·‖D‖; κ &gt; 10⁶ (fewer than ~10 correct digits left in D, indistinguishable in double precision from an exactly
/// stationary input, where rounding alone gives κ ≈ 10⁸) is reported as <see cref="UndefinedAggregationException"/>.
/// (LibMTL's Nash_MTL keeps its previous weights when cvxpy fails; its FairGrad returns scipy's bounded least-squares
/// point, which does not solve the system there.)</para>
/// </remarks>
internal static class InverseWeightSystem
{
    /// <summary>The largest cancellation κ = Σ‖wᵢgᵢ‖ / ‖Σ wᵢgᵢ‖ accepted (see the remarks).</summary>
    public const double MaxCancellation = 1e6;

    private const int MaxNewtonSteps = 500;

    /// <summary>The solution w of G·w = w^(−p) for the Gramian of <paramref name="jacobian"/>.</summary>
    /// <remarks>When a row's largest entry is outside [10⁻¹⁰⁰, 10¹⁰⁰] (its squares would under- or overflow), the Gramian
    /// is taken of the rows divided by their largest entries, and those factors are folded into the norms sᵢ.</remarks>
    /// <exception cref="UndefinedAggregationException">When there is no solution (see the remarks).</exception>
    public static double[] Solve(DenseMatrix jacobian, double p, string method)
    {
        int t = jacobian.Rows;
        var rowScale = new double[t];
        bool extreme = false;
        for (int i = 0; i < t; i++)
        {
            rowScale[i] = Math.Abs(TensorPrimitives.MaxMagnitude<double>(jacobian.Row(i)));
            if (rowScale[i] == 0) throw ZeroGradient(method, p, i);
            extreme |= rowScale[i] < 1e-100 || rowScale[i] > 1e100;
        }
        if (!extreme) return SolveScaledBasis(Gramian.Compute(jacobian, TensorParallelism.Current), Enumerable.Repeat(1.0, t).ToArray(), p, method);
        var scaled = jacobian.Clone();
        for (int i = 0; i < t; i++) TensorPrimitives.Divide(scaled.Row(i), rowScale[i], scaled.Row(i));
        return SolveScaledBasis(Gramian.Compute(scaled, TensorParallelism.Current), rowScale, p, method);
    }

    /// <summary>The solution w of G·w = w^(−p) for a Gramian G (T × T, symmetric positive semi-definite).</summary>
    /// <exception cref="UndefinedAggregationException">When there is no solution (see the remarks).</exception>
    public static double[] SolveGramian(DenseMatrix g, double p, string method) => SolveScaledBasis(g, Enumerable.Repeat(1.0, g.Rows).ToArray(), p, method);

    /// <summary>
    /// The solution for the Gramian A·G′·A, A = diag(<paramref name="rowScale"/>): sᵢ = aᵢ·√G′ᵢᵢ, C = the cosines of G′,
    /// rᵢ = sᵢ^(p−1) divided by their geometric mean e^μ (so that it stays in range; the solution for e^μ·r is
    /// e^(μ/(1+p))·v), and wᵢ = vᵢ/sᵢ, computed through logarithms.
    /// </summary>
    private static double[] SolveScaledBasis(DenseMatrix g, double[] rowScale, double p, string method)
    {
        int t = g.Rows;
        var root = new double[t];
        var logNorm = new double[t];
        for (int i = 0; i < t; i++)
        {
            root[i] = Math.Sqrt(g[i, i]);
            if (!(root[i] > 0)) throw ZeroGradient(method, p, i);
            logNorm[i] = Math.Log(rowScale[i]) + Math.Log(root[i]);
        }
        double mu = (p - 1) * logNorm.Average();
        var c = new DenseMatrix(t, t);
        var r = new double[t];
        for (int i = 0; i < t; i++)
        {
            for (int j = 0; j < t; j++) c[i, j] = i == j ? 1.0 : g[i, j] / root[i] / root[j];
            r[i] = Math.Exp((p - 1) * logNorm[i] - mu);
        }
        var v = SolveScaled(c, r, p, method);
        var w = new double[t];
        for (int i = 0; i < t; i++) w[i] = v[i] * Math.Exp(mu / (1 + p) - logNorm[i]);
        return w;
    }

    private static UndefinedAggregationException ZeroGradient(string method, double p, int task) => new(method,
        $"{method}: the gradient of task {task} is zero, so the system G·w = w^(−{p:G4}) has no solution (its weight would be infinite). " +
        "Leave that task out of the Jacobian for this step, or use a method defined there (mean, mgda).");

    /// <summary>v &gt; 0 with C·v = r ⊙ v^(−p): Newton's method with an exact line search on the convex f (see the remarks).</summary>
    /// <exception cref="UndefinedAggregationException">When there is no solution.</exception>
    public static double[] SolveScaled(DenseMatrix c, double[] r, double p, string method)
    {
        int t = r.Length;
        var v = new double[t];
        for (int i = 0; i < t; i++) v[i] = Math.Pow(r[i], 1 / (1 + p));   // the solution when C = I
        var gradient = new double[t];
        var step = new double[t];
        var hessian = new DenseMatrix(t, t);
        var cv = new double[t];
        var cStep = new double[t];
        for (int iteration = 0; iteration < MaxNewtonSteps; iteration++)
        {
            // ∇f = C·v − r ⊙ v^(−p); H = C + diag(p·r ⊙ v^(−p−1)); Newton step Δ = −H⁻¹∇f.
            Multiply(c, v, cv);
            for (int i = 0; i < t; i++) gradient[i] = cv[i] - r[i] * Math.Pow(v[i], -p);
            if (RelativeResidual(c, r, p, v) <= 1e-15) break;   // at the solution to rounding
            for (int i = 0; i < t; i++)
                for (int j = 0; j < t; j++)
                    hessian[i, j] = c[i, j] + (i == j ? p * r[i] * Math.Pow(v[i], -p - 1) : 0);
            if (!CholeskySolve(hessian, gradient, step)) throw Undefined(method, p, double.PositiveInfinity);
            for (int i = 0; i < t; i++) step[i] = -step[i];
            Multiply(c, step, cStep);
            double length = LineSearch(v, step, cv, cStep, r, p, method);
            double change = 0;
            for (int i = 0; i < t; i++)
            {
                double next = v[i] + length * step[i];
                change = Math.Max(change, Math.Abs(next - v[i]) / v[i]);
                v[i] = next;
            }
            if (change <= 1e-15) break;   // converged: the step no longer moves v
        }
        double residual = RelativeResidual(c, r, p, v);
        double kappa = Cancellation(r, p, v);
        if (!(kappa <= MaxCancellation)) throw Undefined(method, p, kappa);
        if (!(residual <= 1e-12) && v.Min() < 1e-100 * v.Max())
            throw new UndefinedAggregationException(method,
                $"{method}: the solution of G·w = w^(−{p:G4}) has weights more than 10¹⁰⁰ apart (a task whose gradient is dominated gets " +
                $"an all but zero weight when 1/p = α is large, here {v.Min() / v.Max():G3} of the largest and falling), out of reach in double precision. " +
                "Use a smaller α (fairgrad-alpha), or leave out the dominated task.");
        if (!(residual <= 1e-12))
            throw new NoConvergenceException($"{method}: Newton's method on G·w = w^(−{p:G4}) stopped at a relative residual {residual:G3} after {MaxNewtonSteps} steps. " +
                "With a large α (1/p) the weight of a dominated task tends to 0 and is approached slowly; use a smaller α (fairgrad-alpha). Otherwise please report the Jacobian.");
        return v;
    }

    /// <summary>
    /// max over i of |(C·v)ᵢ − rᵢvᵢ^(−p)| / (Σⱼ|Cᵢⱼ|vⱼ + rᵢvᵢ^(−p)): the optimality residual relative to the size of the terms
    /// it is made of (so it is about the rounding error of the evaluation at an exact solution).
    /// </summary>
    public static double RelativeResidual(DenseMatrix c, double[] r, double p, double[] v)
    {
        double worst = 0;
        for (int i = 0; i < v.Length; i++)
        {
            double sum = 0, scale = 0;
            for (int j = 0; j < v.Length; j++) { sum += c[i, j] * v[j]; scale += Math.Abs(c[i, j]) * v[j]; }
            double target = r[i] * Math.Pow(v[i], -p);
            worst = Math.Max(worst, Math.Abs(sum - target) / (scale + target));
        }
        return worst;
    }

    /// <summary>κ = Σ vᵢ / ‖Σ vᵢuᵢ‖ (uᵢ the unit gradients), with ‖Σ vᵢuᵢ‖² = vᵀCv = Σ rᵢvᵢ^(1−p) at the solution.</summary>
    private static double Cancellation(double[] r, double p, double[] v)
    {
        double sum = 0, squaredNorm = 0;
        for (int i = 0; i < v.Length; i++) { sum += v[i]; squaredNorm += r[i] * Math.Pow(v[i], 1 - p); }
        return sum / Math.Sqrt(squaredNorm);
    }

    private static UndefinedAggregationException Undefined(string method, double p, double kappa) => new(method,
        $"{method}: a non-negative combination of the task gradients is zero or nearly so (the gradients are Pareto-stationary: " +
        $"a zero gradient, opposite gradients, or the origin in their convex hull), so the system G·w = w^(−{p:G4}) has no solution: " +
        (double.IsFinite(kappa)
            ? $"or its solution is lost to rounding (D = Σ wᵢgᵢ would cancel terms {kappa:G3} times its norm; at most {MaxCancellation:G} is accepted). "
            : "the weights grow without bound. ") +
        "At such a point no direction decreases every loss; use mgda or mean for this step.");

    /// <summary>
    /// The exact line search: the t in (0, t_max) where the directional derivative
    /// h(t) = Δᵀ(C·v + t·C·Δ − r ⊙ (v + tΔ)^(−p)) vanishes (h is increasing: f is convex; t_max keeps v + tΔ &gt; 0).
    /// Safeguarded Newton on h inside a bracket; the full step t = 1 is taken when h(1) is already ≈ 0.
    /// </summary>
    private static double LineSearch(double[] v, double[] step, double[] cv, double[] cStep, double[] r, double p, string method)
    {
        int t = v.Length;
        double curvature = 0;
        for (int i = 0; i < t; i++) curvature += step[i] * cStep[i];
        double H(double x)
        {
            double sum = 0;
            for (int i = 0; i < t; i++) sum += step[i] * (cv[i] + x * cStep[i] - r[i] * Math.Pow(v[i] + x * step[i], -p));
            return sum;
        }
        double HPrime(double x)
        {
            double sum = curvature;
            for (int i = 0; i < t; i++) sum += p * r[i] * step[i] * step[i] * Math.Pow(v[i] + x * step[i], -p - 1);
            return sum;
        }
        double h0 = H(0);
        if (!(h0 < 0)) return 0;   // no descent left: at the solution to rounding
        double tMax = double.PositiveInfinity;
        for (int i = 0; i < t; i++)
            if (step[i] < 0) tMax = Math.Min(tMax, v[i] / -step[i]);
        if (1 < tMax)
        {
            double h1 = H(1);
            if (Math.Abs(h1) <= 1e-3 * -h0) return 1;
        }
        double lo = 0, hi = tMax;
        if (double.IsPositiveInfinity(hi))
        {
            hi = 1;
            while (H(hi) < 0)
            {
                lo = hi;
                hi *= 2;
                if (hi > 1e30) throw Undefined(method, p, double.PositiveInfinity);
            }
        }
        double x = Math.Min(1, 0.5 * (lo + hi));
        for (int k = 0; k < 200; k++)
        {
            double hx = H(x);
            if (hx == 0) return x;
            if (hx < 0) lo = x; else hi = x;
            double next = x - hx / HPrime(x);
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            if (Math.Abs(next - x) <= 1e-15 * x || hi - lo <= 1e-15 * hi) return next;
            x = next;
        }
        return x;
    }

    private static void Multiply(DenseMatrix a, double[] x, double[] y)
    {
        for (int i = 0; i < y.Length; i++)
        {
            double sum = 0;
            for (int j = 0; j < x.Length; j++) sum += a[i, j] * x[j];
            y[i] = sum;
        }
    }

    /// <summary>x = A⁻¹b by the textbook Cholesky A = L·Lᵀ (A is T × T, T small); false when a pivot is not positive.</summary>
    private static bool CholeskySolve(DenseMatrix a, double[] b, double[] x)
    {
        int n = b.Length;
        var l = new DenseMatrix(n, n);
        for (int j = 0; j < n; j++)
        {
            double d = a[j, j];
            for (int k = 0; k < j; k++) d -= l[j, k] * l[j, k];
            if (!(d > 0)) return false;
            l[j, j] = Math.Sqrt(d);
            for (int i = j + 1; i < n; i++)
            {
                double sum = a[i, j];
                for (int k = 0; k < j; k++) sum -= l[i, k] * l[j, k];
                l[i, j] = sum / l[j, j];
            }
        }
        for (int i = 0; i < n; i++)
        {
            double sum = b[i];
            for (int k = 0; k < i; k++) sum -= l[i, k] * x[k];
            x[i] = sum / l[i, i];
        }
        for (int i = n - 1; i >= 0; i--)
        {
            double sum = x[i];
            for (int k = i + 1; k < n; k++) sum -= l[k, i] * x[k];
            x[i] = sum / l[i, i];
        }
        return true;
    }
}
