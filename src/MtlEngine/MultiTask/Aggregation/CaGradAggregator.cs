using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>How CAGrad rescales its direction (LibMTL's and the official code's <c>rescale</c>).</summary>
public enum CaGradRescale
{
    /// <summary>None: D = g₀ + √φ/‖g_w‖·g_w, the solution of the paper's problem (Algorithm 1; TorchJD). The default.</summary>
    None = 0,

    /// <summary>D/(1 + c²): the default of the official implementation and LibMTL.</summary>
    OnePlusCSquared = 1,

    /// <summary>D/(1 + c).</summary>
    OnePlusC = 2,
}

/// <summary>
/// CAGrad (<c>cagrad</c>), conflict-averse gradient descent (Liu et al. 2021, "Conflict-Averse Gradient Descent for
/// Multi-task Learning", Algorithm 1): the direction in the ball around the mean gradient g₀ = (1/T)·Σ gₜ that
/// maximizes the worst task's improvement,
/// <code>
///   max_d min_t gₜ·d   subject to  ‖d − g₀‖ ≤ √φ,   φ = c²·‖g₀‖²
/// </code>
/// through its dual over the simplex,
/// <code>
///   w = argmin_{w ∈ Δ} g_w·g₀ + √φ·‖g_w‖   (g_w = Jᵀw),   D = g₀ + (√φ/‖g_w‖)·g_w,   W = 1/T + (√φ/‖g_w‖)·w
/// </code>
/// (the paper and the official code solve the dual with SLSQP; TorchJD with a conic solver). Solved exactly here: at the
/// optimum the KKT conditions of the dual are those of the quadratic program QP(u): min u·bᵀw + ½wᵀGw over Δ
/// (b = G·1/T, G = J·Jᵀ) for u = ‖g_w‖/√φ, and on each face of the simplex the solution of QP(u) is affine in u,
/// w = α + u·β with g_α ⟂ g_β, so that h(u) = ‖g_w(u)‖/u = √(‖g_α‖²/u² + ‖g_β‖²) is non-increasing. The root of
/// h(u) = √φ is bracketed in [‖g_MGDA‖/√φ, max‖gₜ‖/√φ], and each step solves QP(u) with <see cref="SmallQp"/>
/// (normalized basis), takes the face it lands on and jumps to the exact root of ‖g_α + u·g_β‖² = φ·u² on that face;
/// the search ends when the face's root reproduces itself, and the answer is that closed form on the final face. <see cref="Rescale"/> optionally divides D and W by
/// 1 + c² (the official code's and LibMTL's default) or 1 + c; the default is none, the paper's problem. When c = 0,
/// D = g₀. When the optimal g_w is 0 (the gradients are Pareto-stationary and c is large), D is the limit of the
/// solutions as u → 0.
/// </summary>
public sealed class CaGradAggregator : GradientAggregator
{
    /// <summary>CAGrad with radius <paramref name="c"/> (≥ 0; the paper's default 0.5) and the given rescaling.</summary>
    /// <exception cref="ArgumentException">When c is negative or not finite, or the rescaling is unknown.</exception>
    public CaGradAggregator(double c = 0.5, CaGradRescale rescale = CaGradRescale.None)
    {
        if (!(c >= 0) || !double.IsFinite(c)) throw new ArgumentException($"CAGrad's c is {c}; it must be finite and ≥ 0 (the paper uses 0.5).", nameof(c));
        if (!Enum.IsDefined(rescale)) throw new ArgumentException($"Unknown CAGrad rescaling {(int)rescale}; use 0 (none), 1 (1 + c²) or 2 (1 + c).", nameof(rescale));
        C = c;
        Rescale = rescale;
    }

    /// <summary>The radius of the ball around g₀, in units of ‖g₀‖.</summary>
    public double C { get; }

    /// <summary>The rescaling of the direction.</summary>
    public CaGradRescale Rescale { get; }

    /// <inheritdoc/>
    public override string Name => "cagrad";

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses) => Solve(jacobian, textbook: false);

    /// <summary>CAGrad with the whole search in parameter space (three passes over J an iteration): the tests' twin of the Gramian search.</summary>
    internal AggregationResult AggregateTextbook(DenseMatrix jacobian) => Solve(jacobian, textbook: true);

    private AggregationResult Solve(DenseMatrix jacobian, bool textbook)
    {
        int t = jacobian.Rows;
        var mean = Enumerable.Repeat(1.0 / t, t).ToArray();
        var g0 = Gramian.Combine(jacobian, mean);
        double rho = C * Math.Sqrt(g0.Sum(v => v * v));
        double[] weights;
        if (rho == 0) weights = mean;
        else
        {
            var unit = Gramian.Normalize(Gramian.Compute(jacobian));
            var w = DualSolution(jacobian, unit, rho, textbook);
            double norm = Norm(Gramian.Combine(jacobian, w));
            weights = new double[t];
            for (int i = 0; i < t; i++) weights[i] = mean[i] + (norm > 0 ? rho / norm * w[i] : 0);
        }
        double divisor = Rescale switch { CaGradRescale.OnePlusCSquared => 1 + C * C, CaGradRescale.OnePlusC => 1 + C, _ => 1 };
        for (int i = 0; i < t; i++) weights[i] /= divisor;
        return new AggregationResult(Gramian.Combine(jacobian, weights), weights);
    }

    /// <summary>
    /// The dual solution w ∈ Δ (in the original basis), normalized so that its direction g_w is the optimal one. In the
    /// basis y = S·w the problem QP(u) is min u·b̃ᵀy + ½yᵀG̃y over y ≥ 0, Σ yᵢ/sᵢ = 1, with b̃ = S⁻¹·b.
    /// </summary>
    /// <remarks>
    /// The search for the final face runs on the T × T unit Gramian (⟨g_x, g_z⟩ = xᵀG̃z in the y basis), so that an
    /// iteration costs O(T²) instead of three passes over the P parameters. The answer on the face found is then the closed
    /// form with norms and products from the P-vectors themselves (a small ‖g_w‖ from √(yᵀG̃y) would carry an absolute error
    /// of √ε, from Jᵀw only ε), and the face is accepted when QP at that exact root lands on it again: the same stopping rule
    /// as the search in parameter space (<paramref name="textbook"/>), which is the fallback when the Gramian's rounding led
    /// to another face, and the tests' twin.
    /// </remarks>
    internal static double[] DualSolution(DenseMatrix jacobian, UnitGramian unit, double rho, bool textbook = false)
    {
        int t = unit.Unit.Rows;
        var s = unit.Scales;
        var a = new double[t];
        var bTilde = new double[t];
        for (int i = 0; i < t; i++)
        {
            a[i] = 1 / s[i];
            for (int j = 0; j < t; j++) bTilde[i] += unit.Unit[i, j] * s[j] / t;
        }
        double[] Solve(double u) => SmallQp.Solve(unit.Unit, bTilde.Select(v => u * v).ToArray(), a).X;
        double[] Direction(double[] y) => Gramian.Combine(jacobian, Unscaled(y, s));
        (double, double, double) Exact(double[] x, double[] z)
        {
            var gx = Direction(x);
            var gz = ReferenceEquals(x, z) ? gx : Direction(z);
            return (Dot(gx, gx), Dot(gx, gz), Dot(gz, gz));
        }
        (double, double, double) OnGramian(double[] x, double[] z) => (Quadratic(x, x), Quadratic(x, z), Quadratic(z, z));
        double Quadratic(double[] x, double[] z)
        {
            double sum = 0;
            for (int i = 0; i < t; i++)
            {
                if (x[i] == 0) continue;
                double row = 0;
                for (int j = 0; j < t; j++) row += unit.Unit[i, j] * z[j];
                sum += x[i] * row;
            }
            return sum;
        }
        double NormOf(double[] y) => Norm(Direction(y));

        double largest = unit.Norms.Max();
        double hi = largest / rho, lo = NormOf(Solve(0)) / rho;
        if (lo >= hi) return Unscaled(Solve(hi), s); // every gradient is the same: the vertex is the answer
        if (lo == 0)
        {
            // The min-norm point is 0 (Pareto-stationary): look for a lower end where h(u) ≥ √φ, or take the limit u → 0.
            lo = hi * 1e-12;
            var yLow = Solve(lo);
            if (NormOf(yLow) / lo <= rho) return Unscaled(yLow, s);
        }
        if (!textbook)
        {
            var y = Search(OnGramian, lo, hi);
            if (OnFace(y, Exact) is (var exact, var root) && Support(Solve(root)).SequenceEqual(Support(y))) return Unscaled(exact, s);
        }
        var final = Search(Exact, lo, hi);
        return Unscaled(OnFace(final, Exact)?.Y ?? final, s);

        // The search for the root of h(u) = ‖g_w(u)‖/u = √φ, jumping to the exact root on each face it lands on, with the
        // products (‖g_x‖², ⟨g_x, g_z⟩, ‖g_z‖²) given; returns the QP solution on the final face.
        double[] Search(Func<double[], double[], (double, double, double)> dots, double lo, double hi)
        {
            double u = Math.Sqrt(lo * hi);
            double[] y = Solve(u);
            for (int iteration = 0; iteration < 200; iteration++)
            {
                double h = Math.Sqrt(Math.Max(dots(y, y).Item1, 0)) / u;
                if (Math.Abs(h - rho) <= 1e-15 * rho) break;
                if (h > rho) lo = u; else hi = u;
                double next = Root(y, dots) is { } face ? face.Root : double.NaN;
                if (!(next > lo && next < hi)) next = Math.Sqrt(lo * hi);
                if (next == u || hi <= lo * (1 + 4e-16)) break;
                u = next;
                y = Solve(u);
            }
            return y;
        }

        // On the face of y: w = α + u·β with QP(u)'s solution there, and the root of ‖g_α + u·g_β‖² = φ·u².
        (double[] Alpha, double[] Beta, double Root)? Root(double[] y, Func<double[], double[], (double, double, double)> dots)
        {
            var free = y.Select(v => v > 0).ToArray();
            var alpha = SmallQp.FaceMinimizer(unit.Unit, new double[t], a, free);
            var withB = SmallQp.FaceMinimizer(unit.Unit, bTilde, a, free);
            if (alpha is null || withB is null) return null;
            var beta = withB.Select((v, i) => v - alpha[i]).ToArray();
            var (aa, ab, bb) = dots(alpha, beta);
            double p = rho * rho - bb, discriminant = ab * ab + p * aa;
            if (!(p > 0) || discriminant < 0) return null;
            return (alpha, beta, ab >= 0 ? (ab + Math.Sqrt(discriminant)) / p : aa / (Math.Sqrt(discriminant) - ab));
        }

        // The exact solution on the face of y, w = α + u·β at the root, when it is feasible.
        (double[] Y, double Root)? OnFace(double[] y, Func<double[], double[], (double, double, double)> dots)
        {
            if (Root(y, dots) is not (var alpha, var beta, var root)) return null;
            var exact = alpha.Select((v, i) => v + root * beta[i]).ToArray();
            double largestY = exact.Max(Math.Abs);
            if (exact.Any(v => v < -1e-14 * largestY)) return null;
            return (exact.Select(v => Math.Max(v, 0)).ToArray(), root);
        }

        static bool[] Support(double[] y) => y.Select(v => v > 0).ToArray();
    }

    private static double[] Unscaled(double[] y, double[] s) => y.Select((v, i) => v / s[i]).ToArray();

    private static double Dot(double[] x, double[] y)
    {
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += x[i] * y[i];
        return sum;
    }

    private static double Norm(double[] x) => Math.Sqrt(Dot(x, x));
}
