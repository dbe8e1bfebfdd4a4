using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>The solution of a <see cref="SmallQp"/> problem, with the multipliers that certify it.</summary>
/// <param name="X">The minimizer x.</param>
/// <param name="BoundMultipliers">μ, one per variable: μ = Hx + c − ν·a, ≥ 0, and 0 where xᵢ &gt; 0.</param>
/// <param name="EqualityMultiplier">ν, the multiplier of aᵀx = 1 (0 without the equality).</param>
/// <param name="Objective">q(x) = ½xᵀHx + cᵀx.</param>
/// <param name="Iterations">Active-set iterations (steps and constraint releases), or the faces tried by the textbook twin.</param>
public sealed record SmallQpSolution(double[] X, double[] BoundMultipliers, double EqualityMultiplier, double Objective, int Iterations);

/// <summary>
/// The small convex quadratic programs of gradient aggregation (T × T, T the number of tasks), solved exactly:
/// <code>
///   minimize  q(x) = ½·xᵀHx + cᵀx   subject to  x ≥ 0  and, optionally,  aᵀx = 1   (H symmetric PSD, every aᵢ &gt; 0)
/// </code>
/// The min-norm point of a convex hull (MGDA), the dual-cone projections (UPGrad) and CAGrad's inner problems are of
/// this form. The optimality (KKT) conditions: Hx + c = ν·a + μ with μ ≥ 0, x ≥ 0 and μᵢ·xᵢ = 0.
/// <para>
/// The method is the primal active-set method (Nocedal and Wright, Numerical Optimization, §16.5) made safe for a
/// singular H: the fixed variables (xᵢ = 0) form the working set; on the face of the free ones the step is the exact
/// minimizer of q (null-space method: Z spans {p : a_Fᵀp = 0}, the reduced Hessian ZᵀH_FF Z is diagonalized by Jacobi
/// rotations and inverted on its range), or, where the reduced gradient has a component along a direction of zero
/// curvature, that direction followed to the first bound. A step is cut at the first bound it crosses (which joins
/// the working set); at a face minimizer the fixed variable with the most negative multiplier is released. The loop
/// ends when every multiplier is ≥ 0, after which one more exact face solve removes the rounding of the path, so that
/// the KKT conditions hold to rounding error. Nothing is stopped early and nothing is regularized. A degenerate cycle
/// (never seen, but not excluded by theory) falls back to <see cref="SmallQpTextbook"/> for n ≤ 16.
/// </para>
/// </summary>
public static class SmallQp
{
    /// <summary>Solves the problem (see the class summary).</summary>
    /// <param name="h">H, n × n, symmetric positive semi-definite.</param>
    /// <param name="c">c, length n.</param>
    /// <param name="a">a, length n, every entry &gt; 0, for the constraint aᵀx = 1; empty for none.</param>
    /// <exception cref="ArgumentException">When the sizes disagree or an entry is not finite, or an aᵢ ≤ 0.</exception>
    /// <exception cref="InvalidOperationException">When q is unbounded below on the feasible set (H not PSD, or no equality and a descent ray).</exception>
    public static SmallQpSolution Solve(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> a = default)
    {
        int n = Check(h, c, a);
        bool equality = !a.IsEmpty;
        var x = new double[n];
        var free = new bool[n];
        if (equality)
        {
            // Start at the best vertex x = eₖ/aₖ of the scaled simplex; the working set is every other variable.
            int k = 0;
            double best = double.PositiveInfinity;
            for (int i = 0; i < n; i++)
            {
                double q = 0.5 * h[i, i] / (a[i] * a[i]) + c[i] / a[i];
                if (q < best) { best = q; k = i; }
            }
            x[k] = 1 / a[k];
            free[k] = true;
        }
        var g = new double[n];
        bool faceSolved = false;
        int maxIterations = 50 * (n + 2);
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            Gradient(h, c, x, g);
            if (!faceSolved)
            {
                var (p, zeroCurvature) = FaceStep(h, g, a, free, GradientScale(h, c, a, x, 0));
                if (!Negligible(p, x))
                {
                    // Ratio test: the step stops at the first free variable it would drive below 0.
                    double alpha = zeroCurvature ? double.PositiveInfinity : 1;
                    int block = -1;
                    for (int i = 0; i < n; i++)
                        if (free[i] && p[i] < 0 && x[i] / -p[i] < alpha) { alpha = x[i] / -p[i]; block = i; }
                    if (double.IsPositiveInfinity(alpha))
                        throw new InvalidOperationException("The quadratic program is unbounded below: q decreases without end along a ray of the feasible set (is H positive semi-definite?).");
                    for (int i = 0; i < n; i++)
                        if (free[i]) x[i] = Math.Max(x[i] + alpha * p[i], 0);
                    if (block >= 0) { x[block] = 0; free[block] = false; }
                    faceSolved = block < 0 && !zeroCurvature;
                    continue;
                }
            }
            // x minimizes q on its face: release the fixed variable with the most negative multiplier, if any.
            double nu = equality ? EqualityMultiplier(g, a, free) : 0;
            double tolerance = 1e-14 * n * GradientScale(h, c, a, x, nu);
            int release = -1;
            double most = -tolerance;
            for (int i = 0; i < n; i++)
            {
                if (free[i]) continue;
                double mu = g[i] - (equality ? nu * a[i] : 0);
                if (mu < most) { most = mu; release = i; }
            }
            if (release < 0)
            {
                Polish(h, c, a, x, free);
                return Certify(h, c, a, x, free, iteration + 1);
            }
            free[release] = true;
            faceSolved = false;
        }
        if (n <= 16) return SmallQpTextbook.Solve(h, c, a);
        throw new InvalidOperationException($"The active-set method did not settle in {maxIterations} iterations on a problem of size {n}.");
    }

    /// <summary>The minimizer of q over the affine hull of a face {xᵢ = 0 for i ∉ F, aᵀx = 1}: the minimum-norm one when it is not unique.</summary>
    /// <param name="h">H.</param>
    /// <param name="c">c.</param>
    /// <param name="a">a, or empty for no equality.</param>
    /// <param name="free">F: true for the variables that are not fixed at 0.</param>
    /// <returns>x (zero outside F), or null when q is unbounded below on that affine set.</returns>
    public static double[]? FaceMinimizer(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> a, bool[] free)
    {
        int n = Check(h, c, a);
        ArgumentNullException.ThrowIfNull(free);
        var x = new double[n];
        if (!a.IsEmpty)
        {
            // A particular point of aᵀx = 1 on F: the multiple of a_F.
            double aa = 0;
            for (int i = 0; i < n; i++) if (free[i]) aa += a[i] * a[i];
            if (aa == 0) return null;
            for (int i = 0; i < n; i++) if (free[i]) x[i] = a[i] / aa;
        }
        var g = new double[n];
        Gradient(h, c, x, g);
        var (p, zeroCurvature) = FaceStep(h, g, a, free, GradientScale(h, c, a, x, 0));
        if (zeroCurvature) return null;
        for (int i = 0; i < n; i++) x[i] += p[i];
        return x;
    }

    /// <summary>
    /// The step p on the face F (pᵢ = 0 off F, a_Fᵀp_F = 0) that minimizes q(x + p), by the null-space method; or, when
    /// the reduced gradient has a component along a direction of zero curvature, that direction (a descent ray).
    /// </summary>
    private static (double[] Step, bool ZeroCurvature) FaceStep(DenseMatrix h, double[] g, ReadOnlySpan<double> a, bool[] free, double scale)
    {
        int n = h.Rows;
        var f = Enumerable.Range(0, n).Where(i => free[i]).ToArray();
        var step = new double[n];
        var z = NullSpace(f, a);
        int m = z.Columns;
        if (m == 0) return (step, false);
        // The reduced Hessian M = Zᵀ·H_FF·Z and reduced gradient r = Zᵀ·g_F.
        var hz = new DenseMatrix(f.Length, m);
        for (int i = 0; i < f.Length; i++)
            for (int k = 0; k < m; k++)
            {
                double sum = 0;
                for (int j = 0; j < f.Length; j++) sum += h[f[i], f[j]] * z[j, k];
                hz[i, k] = sum;
            }
        var reduced = new DenseMatrix(m, m);
        var r = new double[m];
        for (int k = 0; k < m; k++)
        {
            for (int l = 0; l < m; l++)
            {
                double sum = 0;
                for (int i = 0; i < f.Length; i++) sum += z[i, k] * hz[i, l];
                reduced[k, l] = sum;
            }
            for (int i = 0; i < f.Length; i++) r[k] += z[i, k] * g[f[i]];
        }
        for (int k = 0; k < m; k++)
            for (int l = 0; l < k; l++) reduced[k, l] = reduced[l, k] = 0.5 * (reduced[k, l] + reduced[l, k]);
        var (values, vectors) = JacobiEigenTextbook.Compute(reduced);
        double largest = values.Max(Math.Abs);
        double curvatureTolerance = 64 * m * MachineEpsilon.Double * Math.Max(largest, 0);
        var s = new double[m];
        for (int k = 0; k < m; k++)
            for (int l = 0; l < m; l++) s[k] += vectors[l, k] * r[l];
        // A direction of (numerically) zero curvature along which q still decreases: follow it to the first bound.
        double slopeTolerance = 1e-14 * m * scale;
        int ray = -1;
        for (int k = 0; k < m; k++)
            if (values[k] <= curvatureTolerance && Math.Abs(s[k]) > slopeTolerance && (ray < 0 || Math.Abs(s[k]) > Math.Abs(s[ray]))) ray = k;
        var y = new double[m];
        if (ray >= 0)
            for (int l = 0; l < m; l++) y[l] = -Math.Sign(s[ray]) * vectors[l, ray];
        else
            for (int k = 0; k < m; k++)
                if (values[k] > curvatureTolerance)
                    for (int l = 0; l < m; l++) y[l] -= s[k] / values[k] * vectors[l, k];
        for (int i = 0; i < f.Length; i++)
        {
            double sum = 0;
            for (int k = 0; k < m; k++) sum += z[i, k] * y[k];
            step[f[i]] = sum;
        }
        return (step, ray >= 0);
    }

    /// <summary>
    /// An orthonormal basis Z (|F| × m) of {p : a_Fᵀp = 0}: the last |F| − 1 columns of the Householder reflector that maps
    /// a_F onto a multiple of e₁ (without the equality: the identity, m = |F|).
    /// </summary>
    private static DenseMatrix NullSpace(int[] f, ReadOnlySpan<double> a)
    {
        int k = f.Length;
        if (a.IsEmpty) return DenseMatrix.Identity(k);
        if (k <= 1) return new DenseMatrix(k, 0);
        var v = new double[k];
        double norm = 0;
        for (int i = 0; i < k; i++) { v[i] = a[f[i]]; norm += v[i] * v[i]; }
        norm = Math.Sqrt(norm);
        v[0] += norm; // a_F[0] > 0, so no cancellation
        double vv = 0;
        for (int i = 0; i < k; i++) vv += v[i] * v[i];
        var z = new DenseMatrix(k, k - 1);
        for (int i = 0; i < k; i++)
            for (int j = 1; j < k; j++) z[i, j - 1] = (i == j ? 1 : 0) - 2 * v[i] * v[j] / vv;
        return z;
    }

    /// <summary>After the last step: restore aᵀx = 1 exactly on the face, then one exact face solve (a refinement step) if it stays feasible.</summary>
    private static void Polish(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> a, double[] x, bool[] free)
    {
        int n = x.Length;
        var trial = (double[])x.Clone();
        if (!a.IsEmpty)
        {
            double residual = 1, aa = 0;
            for (int i = 0; i < n; i++) residual -= a[i] * x[i];
            for (int i = 0; i < n; i++) if (free[i]) aa += a[i] * a[i];
            for (int i = 0; i < n; i++) if (free[i]) trial[i] += residual * a[i] / aa;
        }
        var g = new double[n];
        Gradient(h, c, trial, g);
        var (p, zeroCurvature) = FaceStep(h, g, a, free, GradientScale(h, c, a, trial, 0));
        if (!zeroCurvature)
            for (int i = 0; i < n; i++) trial[i] += p[i];
        for (int i = 0; i < n; i++)
            if (trial[i] < 0) return; // the refinement would leave the face: keep the path's point
        Array.Copy(trial, x, n);
    }

    /// <summary>The solution record with its multipliers: ν by least squares on the free variables, μ = g − ν·a (0 on F).</summary>
    internal static SmallQpSolution Certify(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> a, double[] x, bool[] free, int iterations)
    {
        int n = x.Length;
        var g = new double[n];
        Gradient(h, c, x, g);
        double nu = a.IsEmpty ? 0 : EqualityMultiplier(g, a, free);
        var mu = new double[n];
        for (int i = 0; i < n; i++) mu[i] = free[i] && x[i] > 0 ? 0 : g[i] - (a.IsEmpty ? 0 : nu * a[i]);
        return new SmallQpSolution(x, mu, nu, Objective(h, c, x), iterations);
    }

    /// <summary>q(x) = ½xᵀHx + cᵀx.</summary>
    public static double Objective(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> x)
    {
        ArgumentNullException.ThrowIfNull(h);
        double q = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double hx = 0;
            for (int j = 0; j < x.Length; j++) hx += h[i, j] * x[j];
            q += x[i] * (0.5 * hx + c[i]);
        }
        return q;
    }

    /// <summary>g = Hx + c.</summary>
    internal static void Gradient(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> x, double[] g)
    {
        int n = x.Length;
        for (int i = 0; i < n; i++)
        {
            double sum = c[i];
            for (int j = 0; j < n; j++) sum += h[i, j] * x[j];
            g[i] = sum;
        }
    }

    /// <summary>ν from g_F = ν·a_F in the least-squares sense.</summary>
    private static double EqualityMultiplier(double[] g, ReadOnlySpan<double> a, bool[] free)
    {
        double ag = 0, aa = 0;
        for (int i = 0; i < g.Length; i++)
            if (free[i]) { ag += a[i] * g[i]; aa += a[i] * a[i]; }
        return aa == 0 ? 0 : ag / aa;
    }

    /// <summary>The size of the terms of the gradient, for relative tolerances: max|H|·max|x| + max|c| + |ν|·max|a|.</summary>
    private static double GradientScale(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> a, double[] x, double nu)
    {
        double hMax = 0, xMax = 0, cMax = 0, aMax = 0;
        foreach (double v in h.Data) hMax = Math.Max(hMax, Math.Abs(v));
        foreach (double v in x) xMax = Math.Max(xMax, Math.Abs(v));
        foreach (double v in c) cMax = Math.Max(cMax, Math.Abs(v));
        foreach (double v in a) aMax = Math.Max(aMax, Math.Abs(v));
        return hMax * xMax * x.Length + cMax + Math.Abs(nu) * aMax;
    }

    private static bool Negligible(double[] p, double[] x)
    {
        double pMax = 0, xMax = 0;
        for (int i = 0; i < p.Length; i++) { pMax = Math.Max(pMax, Math.Abs(p[i])); xMax = Math.Max(xMax, Math.Abs(x[i])); }
        return pMax == 0 || pMax <= 1e-15 * xMax;
    }

    internal static int Check(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> a)
    {
        ArgumentNullException.ThrowIfNull(h);
        int n = h.Rows;
        if (!h.IsSquare) throw new ArgumentException($"H must be square; it has shape {h.ShapeText}.", nameof(h));
        if (c.Length != n) throw new ArgumentException($"c has length {c.Length} for H of shape {h.ShapeText}.", nameof(c));
        if (!a.IsEmpty && a.Length != n) throw new ArgumentException($"a has length {a.Length} for H of shape {h.ShapeText}.", nameof(a));
        foreach (double v in h.Data) if (!double.IsFinite(v)) throw new ArgumentException($"H has a non-finite entry {v}.", nameof(h));
        foreach (double v in c) if (!double.IsFinite(v)) throw new ArgumentException($"c has a non-finite entry {v}.", nameof(c));
        foreach (double v in a) if (!(v > 0) || !double.IsFinite(v)) throw new ArgumentException($"Every entry of a must be finite and > 0; one is {v}.", nameof(a));
        return n;
    }
}

/// <summary>
/// The textbook twin of <see cref="SmallQp"/>: enumerate every face F (every set of free variables, 2ⁿ of them), take
/// the minimizer of q on the face's affine hull by solving its KKT system [H_FF a_F; a_Fᵀ 0]·[x_F; −ν] = [−c_F; 1] with
/// the pseudo-inverse (Jacobi eigendecomposition), keep the faces whose minimizer is feasible, and return the one of
/// least q. Exponential, so for tests and tiny n only (n ≤ 16). Correct because a vertex of the (polyhedral) optimal set
/// is the unique minimizer on the affine hull of its own face.
/// </summary>
public static class SmallQpTextbook
{
    /// <summary>Solves the problem of <see cref="SmallQp"/> by enumeration.</summary>
    /// <exception cref="ArgumentException">When the sizes disagree, n &gt; 16, or an input is not finite.</exception>
    public static SmallQpSolution Solve(DenseMatrix h, ReadOnlySpan<double> c, ReadOnlySpan<double> a = default)
    {
        int n = SmallQp.Check(h, c, a);
        if (n > 16) throw new ArgumentException($"The enumeration of faces is for n ≤ 16; n is {n}.", nameof(h));
        bool equality = !a.IsEmpty;
        double[]? best = null;
        bool[]? bestFree = null;
        double bestQ = double.PositiveInfinity;
        for (int mask = 0; mask < 1 << n; mask++)
        {
            var free = new bool[n];
            var f = new List<int>();
            for (int i = 0; i < n; i++) if ((mask >> i & 1) == 1) { free[i] = true; f.Add(i); }
            if (equality && f.Count == 0) continue;
            int k = f.Count, size = k + (equality ? 1 : 0);
            var kkt = new DenseMatrix(size, size);
            var rhs = new double[size];
            for (int i = 0; i < k; i++)
            {
                for (int j = 0; j < k; j++) kkt[i, j] = h[f[i], f[j]];
                rhs[i] = -c[f[i]];
                if (equality) kkt[i, k] = kkt[k, i] = a[f[i]];
            }
            if (equality) rhs[k] = 1;
            var solution = size == 0 ? [] : PseudoSolve(kkt, rhs);
            if (solution is null) continue;
            var x = new double[n];
            bool feasible = true;
            double xMax = solution.Take(k).Select(Math.Abs).DefaultIfEmpty(0).Max();
            for (int i = 0; i < k; i++)
            {
                if (solution[i] < -1e-10 * Math.Max(xMax, 1e-300)) feasible = false;
                x[f[i]] = Math.Max(solution[i], 0);
            }
            if (!feasible) continue;
            double q = SmallQp.Objective(h, c, x);
            if (best is null || q < bestQ - 1e-13 * Math.Abs(bestQ)) { bestQ = q; best = x; bestFree = free; }
        }
        if (best is null) throw new InvalidOperationException("No face has a feasible minimizer: the problem is unbounded below.");
        return SmallQp.Certify(h, c, a, best, bestFree!, 1 << n);
    }

    /// <summary>K⁺·b for symmetric K by its eigendecomposition; null when K·x = b is inconsistent (no face minimizer).</summary>
    private static double[]? PseudoSolve(DenseMatrix k, double[] b)
    {
        int n = k.Rows;
        var (values, vectors) = JacobiEigenTextbook.Compute(k);
        double largest = values.Max(Math.Abs);
        double tolerance = 1e-12 * Math.Max(largest, 1e-300) * n;
        var x = new double[n];
        for (int e = 0; e < n; e++)
        {
            if (Math.Abs(values[e]) <= tolerance) continue;
            double coefficient = 0;
            for (int i = 0; i < n; i++) coefficient += vectors[i, e] * b[i];
            coefficient /= values[e];
            for (int i = 0; i < n; i++) x[i] += coefficient * vectors[i, e];
        }
        double residual = 0, scale = 0;
        for (int i = 0; i < n; i++)
        {
            double kx = 0;
            for (int j = 0; j < n; j++) kx += k[i, j] * x[j];
            residual = Math.Max(residual, Math.Abs(kx - b[i]));
            scale = Math.Max(scale, Math.Abs(b[i]));
        }
        return residual <= 1e-8 * Math.Max(scale, largest * x.Max(Math.Abs)) ? x : null;
    }
}
