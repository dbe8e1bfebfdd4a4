using System.Runtime.Intrinsics;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// The eigendecomposition G = U·Λ·Uᵀ of the Gramian G = J·Jᵀ restricted to its numerical rank, for the methods whose
/// answer is a spectral function of G (IMTL-G's G⁺n, Aligned-MTL's balance transformation), accurate when task-gradient
/// norms differ by 10⁶ or more and when rows are dependent only up to the rounding of float64 (g₅ = fl(g₁ + g₂)).
/// </summary>
/// <remarks>
/// <para><b>The rank.</b> The eigenvalues of G are the squared singular values σₖ² of J, and the rank is decided on them,
/// on the matrix itself and not in a rescaled basis:
/// <code>
///   keep σₖ &gt; T·ε·σ₁   (λₖ &gt; (T·ε)²·λ₁),   ε = 2⁻⁵²
/// </code>
/// A row computed in float64 as a combination of others (a duplicate, a sum, a multiple) differs from that exact
/// combination by about ε of its own norm, so it leaves a singular value of at most a few ε·σ₁: below the cut. Rows that
/// are independent but whose norms differ by 10⁶ (or 10¹²) leave singular values of about 10⁻⁶σ₁ (10⁻¹²σ₁) times the sine
/// of their angle to the others' span: far above it. The cut-off is NumPy's and LAPACK's rank rule (max(m, n)·ε·σ₁) with
/// m = T, the number of rows: the size of J's rounding does not grow with P, the length of each row. It is stated on J
/// rather than as TorchJD's <c>pinv(G)</c> (λₖ &gt; T·ε·λ₁ on G), which is the rounding level of a Gramian computed
/// in float64 and drops any independent row whose norm is more than about 10⁸ times smaller than the largest; on rows
/// whose norms differ by at most about 10⁷ and whose singular values are not within a factor 10⁷ of the cut, both rules
/// give the same rank.</para>
/// <para><b>The computation</b>, in double-double arithmetic (<see cref="DoubleDouble"/>, about 32 digits) so that the
/// singular values at the rounding level of float64 are measured, not guessed. First a factor G = X·Xᵀ, X = Π·L with L
/// lower triangular (T × min(T, P)), by one of two routes:
/// <list type="bullet">
/// <item>from the Gramian, when its rows are far from dependent (the usual case, a training step's Jacobian): G in
/// double-double by compensated dot products (<see cref="ExtendedDot"/>, about three times the passes of a float64
/// Gramian), then the Cholesky factorization with diagonal pivoting of the unit Gramian S⁻¹GS⁻¹, X = S·L, used when
/// every pivot (a squared sine) is at least <see cref="CholeskyPivot"/>: G's rounding (about P·u²) is then amplified to at
/// most about 10⁻¹⁸ in X, independently of the row norms;</item>
/// <item>otherwise (a zero row, dependent or nearly dependent rows, where squaring J would lose the singular values at
/// the rounding level), from J itself: Householder QR with column pivoting of Jᵀ (JᵀΠ = Q·R, the largest remaining row of
/// J first; its backward error is columnwise, a perturbation of each row of J relative to that row's own norm, which is
/// what keeps graded rows accurate), X = Π·Rᵀ; about T²·P double-double operations.</item>
/// </list>
/// Then one-sided Jacobi rotations of the rows of X until they are mutually orthogonal, X = U·Y, so that λₖ = ‖Yₖ‖²
/// (Demmel and Veselić 1992: accurate to the relative precision of each eigenvalue for row-graded X).</para>
/// </remarks>
internal sealed class GramianSpectrum
{
    /// <summary>The smallest pivot of the Cholesky factorization of the unit Gramian (a squared sine) for which the factor
    /// from the double-double Gramian is used (see the remarks).</summary>
    internal const double CholeskyPivot = 1e-8;

    private readonly DoubleDouble[] _values;
    private readonly DoubleDouble[,] _vectors;
    private readonly DoubleDouble[,] _x;
    private readonly int[] _order;

    private GramianSpectrum(DoubleDouble[] values, DoubleDouble[,] vectors, DoubleDouble[,] x, int[] order, DoubleDouble[] norms, bool fromQr)
    {
        _values = values;
        _vectors = vectors;
        _x = x;
        _order = order;
        Norms = norms;
        FromQr = fromQr;
    }

    /// <summary>Whether the factor X came from the pivoted QR of J (near-dependent rows) rather than from the Gramian.</summary>
    public bool FromQr { get; }

    /// <summary>T, the number of tasks (rows of J).</summary>
    public int Tasks => _order.Length;

    /// <summary>The numerical rank r: the number of kept eigenvalues.</summary>
    public int Rank => _values.Length;

    /// <summary>The row norms ‖gᵢ‖ = √Gᵢᵢ, in double-double.</summary>
    public DoubleDouble[] Norms { get; }

    /// <summary>The kept eigenvalues λ₁ ≥ ... ≥ λᵣ of G (rounded to double).</summary>
    public double[] Values => _values.Select(v => (double)v).ToArray();

    /// <summary>Their eigenvectors (T × r, columns; the largest entry of each made positive), rounded to double.</summary>
    public DenseMatrix Vectors
    {
        get
        {
            var u = new DenseMatrix(Tasks, Rank);
            for (int i = 0; i < Tasks; i++)
                for (int k = 0; k < Rank; k++) u[i, k] = (double)_vectors[i, k];
            return u;
        }
    }

    /// <summary>λᵣ, the smallest kept eigenvalue, in double-double (0 at rank 0).</summary>
    public DoubleDouble SmallestValue => Rank == 0 ? DoubleDouble.Zero : _values[^1];

    /// <summary>The cut-off c of the rank: singular values σₖ ≤ c·σ₁ of J are dropped; c = T·ε (see the remarks).</summary>
    public static double Cutoff(int tasks) => Math.Max(tasks, 1) * MachineEpsilon.Double;

    /// <summary>Σₖ uₖ·f(λₖ)·(uₖᵀb) over the kept eigenpairs, in double-double: f(λ) = 1/λ gives G⁺b.</summary>
    public DoubleDouble[] Apply(Func<DoubleDouble, DoubleDouble> f, IReadOnlyList<DoubleDouble> b)
    {
        int t = Tasks;
        var result = new DoubleDouble[t];
        for (int k = 0; k < Rank; k++)
        {
            DoubleDouble projection = 0;
            for (int i = 0; i < t; i++) projection += _vectors[i, k] * b[i];
            var scaled = f(_values[k]) * projection;
            for (int i = 0; i < t; i++) result[i] += _vectors[i, k] * scaled;
        }
        return result;
    }

    /// <summary>
    /// G⁻¹b at full rank (r = T) by the triangular factor: G = X·Xᵀ with X = Π·L, L lower triangular, so
    /// G⁻¹b = Π·L⁻ᵀ·L⁻¹·Πᵀb (a forward and a back substitution, in double-double; as accurate as the factor for graded
    /// rows, with no eigenvalue in the way).
    /// </summary>
    /// <exception cref="InvalidOperationException">When G is rank-deficient.</exception>
    public DoubleDouble[] InverseTimes(IReadOnlyList<DoubleDouble> b)
    {
        int t = Tasks;
        if (Rank != t) throw new InvalidOperationException($"G⁻¹ needs a Gramian of full rank; this one has rank {Rank} of {t}. Use Apply with 1/λ (G⁺).");
        // L[k, j] = X[order[k], j].
        var z = new DoubleDouble[t];
        for (int k = 0; k < t; k++)
        {
            var sum = b[_order[k]];
            for (int j = 0; j < k; j++) sum -= _x[_order[k], j] * z[j];
            z[k] = sum / _x[_order[k], k];
        }
        var w = new DoubleDouble[t];
        for (int k = t - 1; k >= 0; k--)
        {
            var sum = z[k];
            for (int j = k + 1; j < t; j++) sum -= _x[_order[j], k] * w[j];
            w[k] = sum / _x[_order[k], k];
        }
        var result = new DoubleDouble[t];
        for (int k = 0; k < t; k++) result[_order[k]] = w[k];
        return result;
    }

    /// <summary>The factor X (T × min(T, P)) with G = X·Xᵀ, lower triangular in the pivot order.</summary>
    internal DoubleDouble[,] Factor => _x;

    /// <summary>The spectrum of J·Jᵀ for a Jacobian J (T × P, finite entries).</summary>
    /// <param name="jacobian">J.</param>
    /// <param name="forceQr">Take the factor from the QR of J even where the Gramian's would do (the tests' twin).</param>
    public static GramianSpectrum Of(DenseMatrix jacobian, bool forceQr = false)
    {
        ArgumentNullException.ThrowIfNull(jacobian);
        int t = jacobian.Rows;
        var g = new DoubleDouble[t, t];
        for (int i = 0; i < t; i++)
            for (int k = 0; k <= i; k++) g[i, k] = g[k, i] = ExtendedDot(jacobian.Row(i), jacobian.Row(k));
        var norms = new DoubleDouble[t];
        for (int i = 0; i < t; i++) norms[i] = DoubleDouble.Sqrt(g[i, i]);
        var fromGramian = forceQr ? null : FactorFromGramian(g, norms);
        var (x, order) = fromGramian ?? FactorFromQr(jacobian);
        var (values, vectors) = RowJacobi((DoubleDouble[,])x.Clone());
        return new GramianSpectrum(values, vectors, x, order, norms, fromGramian is null);
    }

    /// <summary>
    /// X = S·L with G̃[order, order] = L·Lᵀ the Cholesky factorization (diagonal pivoting) of the unit Gramian G̃ = S⁻¹GS⁻¹
    /// of the double-double Gramian, when every pivot is at least <see cref="CholeskyPivot"/> (every unit row at least
    /// 10⁻⁴ in sine from the span of the rows before it); null otherwise (a zero row, or rows dependent or nearly so).
    /// </summary>
    private static (DoubleDouble[,] X, int[] Order)? FactorFromGramian(DoubleDouble[,] g, DoubleDouble[] norms)
    {
        int t = norms.Length;
        var unit = new DoubleDouble[t, t];
        for (int i = 0; i < t; i++)
        {
            if (!(norms[i].Hi > 0)) return null;
            for (int k = 0; k < t; k++) unit[i, k] = i == k ? 1 : g[i, k] / (norms[i] * norms[k]);
        }
        var order = new int[t];
        var taken = new bool[t];
        var l = new DoubleDouble[t, t];
        var remaining = new DoubleDouble[t];
        for (int i = 0; i < t; i++) remaining[i] = 1;
        for (int k = 0; k < t; k++)
        {
            // The pivot: the unit row farthest from the span of the rows already taken.
            int best = -1;
            for (int i = 0; i < t; i++)
                if (!taken[i] && (best < 0 || remaining[i] > remaining[best])) best = i;
            if (!(remaining[best].Hi >= CholeskyPivot)) return null;
            taken[best] = true;
            order[k] = best;
            var root = DoubleDouble.Sqrt(remaining[best]);
            l[best, k] = root;
            for (int i = 0; i < t; i++)
            {
                if (taken[i]) continue;
                var sum = unit[i, best];
                for (int j = 0; j < k; j++) sum -= l[i, j] * l[best, j];
                l[i, k] = sum / root;
                remaining[i] -= l[i, k] * l[i, k];
            }
        }
        for (int i = 0; i < t; i++)
            for (int k = 0; k < t; k++) l[i, k] *= norms[i];
        return (l, order);
    }

    /// <summary>X = Π·Rᵀ (T × min(T, P)) from the pivoted QR of Jᵀ: row order[j] of X is column j of R.</summary>
    private static (DoubleDouble[,] X, int[] Order) FactorFromQr(DenseMatrix jacobian)
    {
        int t = jacobian.Rows;
        var (r, order) = PivotedQr(jacobian);
        int m = r.GetLength(0);
        var x = new DoubleDouble[t, m];
        for (int j = 0; j < t; j++)
            for (int k = 0; k < m && k <= j; k++) x[order[j], k] = r[k, j];
        return (x, order);
    }

    /// <summary>
    /// x·y in double-double: each product split exactly (TwoProduct) and added to a double-double sum per vector lane
    /// (TwoSum, then the two low parts), the lanes added at the end. Error at most about (P/4)·u²·Σ|xᵢyᵢ|, u² = 2⁻¹⁰⁶.
    /// </summary>
    internal static DoubleDouble ExtendedDot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int n = x.Length, i = 0;
        DoubleDouble sum = 0;
        if (Vector256.IsHardwareAccelerated && n >= 2 * Vector256<double>.Count)
        {
            int width = Vector256<double>.Count;
            Vector256<double> hi = Vector256<double>.Zero, lo = Vector256<double>.Zero;
            for (; i + width <= n; i += width)
            {
                var a = Vector256.Create(x.Slice(i, width));
                var b = Vector256.Create(y.Slice(i, width));
                var p = a * b;
                var e = Vector256.FusedMultiplyAdd(a, b, -p);
                // (hi, lo) += (p, e): TwoSum of the high parts, the low parts added to its error, then renormalized.
                var s = hi + p;
                var z = s - hi;
                var error = (hi - (s - z)) + (p - z) + (lo + e);
                hi = s + error;
                lo = error - (hi - s);
            }
            for (int k = 0; k < width; k++) sum += new DoubleDouble(hi[k], lo[k]);
        }
        for (; i < n; i++) sum += DoubleDouble.TwoProduct(x[i], y[i]);
        return sum;
    }

    /// <summary>The textbook twin of <see cref="ExtendedDot"/>: Σ TwoProduct(xᵢ, yᵢ) in double-double, one term at a time.</summary>
    internal static DoubleDouble ExtendedDotReference(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        DoubleDouble sum = 0;
        for (int i = 0; i < x.Length; i++) sum += DoubleDouble.TwoProduct(x[i], y[i]);
        return sum;
    }

    /// <summary>
    /// Householder QR with column pivoting of A = Jᵀ (P × T) in double-double: A·Π = Q·R, R upper triangular (min(T, P) × T)
    /// with |R₀₀| ≥ |R₁₁| ≥ ...; order[j] is the row of J that is column j of A·Π.
    /// </summary>
    /// <remarks>
    /// Step k takes the column with the largest remaining norm (recomputed, not downdated), reflects it onto ±‖x‖·e_k by
    /// H = I − 2vvᵀ/(vᵀv), v = x − α·e_k, α = −sign(x_k)·‖x‖ (no cancellation in v_k), and applies H to the columns after it.
    /// </remarks>
    internal static (DoubleDouble[,] R, int[] Order) PivotedQr(DenseMatrix jacobian)
    {
        int t = jacobian.Rows, p = jacobian.Columns, m = Math.Min(t, p);
        var a = new DoubleDouble[t][];
        for (int i = 0; i < t; i++)
        {
            a[i] = new DoubleDouble[p];
            var row = jacobian.Row(i);
            for (int q = 0; q < p; q++) a[i][q] = row[q];
        }
        var order = Enumerable.Range(0, t).ToArray();
        var r = new DoubleDouble[m, t];
        for (int k = 0; k < m; k++)
        {
            int best = k;
            var bestNorm = SquaredNorm(a[k], k);
            for (int j = k + 1; j < t; j++)
            {
                var norm = SquaredNorm(a[j], k);
                if (norm > bestNorm) { bestNorm = norm; best = j; }
            }
            (a[k], a[best]) = (a[best], a[k]);
            (order[k], order[best]) = (order[best], order[k]);
            for (int i = 0; i < k; i++) (r[i, k], r[i, best]) = (r[i, best], r[i, k]);
            if (bestNorm.Hi == 0) break;   // every remaining column is zero: R's remaining rows are zero
            var x = a[k];
            var length = DoubleDouble.Sqrt(bestNorm);
            var alpha = x[k].Hi >= 0 ? -length : length;
            var v0 = x[k] - alpha;
            // vᵀv = ‖x‖² − 2αx_k + α² = 2(‖x‖² − αx_k).
            var vv = (bestNorm - alpha * x[k]) * 2.0;
            r[k, k] = alpha;
            for (int j = k + 1; j < t; j++)
            {
                var y = a[j];
                var dot = v0 * y[k];
                for (int q = k + 1; q < p; q++) dot += x[q] * y[q];
                var f = dot * 2.0 / vv;
                y[k] -= f * v0;
                for (int q = k + 1; q < p; q++) y[q] -= f * x[q];
                r[k, j] = y[k];
            }
        }
        return (r, order);
    }

    private static DoubleDouble SquaredNorm(DoubleDouble[] x, int from)
    {
        DoubleDouble sum = 0;
        for (int q = from; q < x.Length; q++) sum += x[q] * x[q];
        return sum;
    }

    /// <summary>
    /// One-sided (Hestenes) Jacobi on the rows of X (T × m): rotate pairs of rows, and the columns of U = I alike, until
    /// the rows are orthogonal to the working precision, X = U·Y; then λ = ‖Yᵢ‖², sorted descending, those above
    /// (T·ε)²·λ₁ kept with their columns of U, each signed so that its largest entry is positive.
    /// </summary>
    /// <remarks>
    /// Not merged with <see cref="JacobiEigenTextbook"/>, whose rotation loops look alike: that is the two-sided Jacobi of
    /// any symmetric matrix in double (the textbook twin of the symmetric eigensolver); this is the one-sided Jacobi of a
    /// factor, which needs no Gramian and keeps each eigenvalue to its own relative precision for row-graded X, in
    /// double-double. <see cref="DoubleDouble"/> has the four operations and the square root, not the generic-math
    /// interfaces (<c>IFloatingPointIeee754&lt;T&gt;</c>) a shared generic implementation would take.
    /// </remarks>
    private static (DoubleDouble[] Values, DoubleDouble[,] Vectors) RowJacobi(DoubleDouble[,] x)
    {
        int t = x.GetLength(0), m = x.GetLength(1);
        var u = new DoubleDouble[t, t];
        for (int i = 0; i < t; i++) u[i, i] = 1;
        double tolerance = Math.Max(t, 1) * MachineEpsilon.Double * MachineEpsilon.Double;
        // Rows of squared norm under 10⁻⁶⁰ of the largest (what is left of dependent rows) are zero here: a rotation with one
        // changes the others' squared norms by less than that, far below the cut of the kept eigenvalues, (T·ε)²·λ₁ ≈ 10⁻³⁰·λ₁.
        double negligible = 0;
        for (int i = 0; i < t; i++)
        {
            double rowSquared = 0;
            for (int j = 0; j < m; j++) rowSquared += x[i, j].Hi * x[i, j].Hi;
            negligible = Math.Max(negligible, 1e-60 * rowSquared);
        }
        for (int sweep = 0; sweep < 60; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < t; p++)
                for (int q = p + 1; q < t; q++)
                {
                    DoubleDouble app = 0, aqq = 0, apq = 0;
                    for (int j = 0; j < m; j++)
                    {
                        app += x[p, j] * x[p, j];
                        aqq += x[q, j] * x[q, j];
                        apq += x[p, j] * x[q, j];
                    }
                    if (apq.Hi == 0 || app.Hi <= negligible || aqq.Hi <= negligible
                        || Math.Abs(apq.Hi) <= tolerance * Math.Sqrt(app.Hi) * Math.Sqrt(aqq.Hi)) continue;
                    rotated = true;
                    // The rotation that diagonalizes [[app, apq], [apq, aqq]]: τ = (aqq − app)/(2apq), t = sign(τ)/(|τ| + √(1 + τ²)),
                    // which is apq/(aqq − app) to double-double precision once |τ| > 10⁵⁰ (and τ² would overflow).
                    var difference = aqq - app;
                    DoubleDouble tangent;
                    if (Math.Abs(apq.Hi) < 1e-50 * Math.Abs(difference.Hi))
                        tangent = apq / difference;
                    else
                    {
                        var tau = difference / (apq * 2.0);
                        tangent = 1.0 / (DoubleDouble.Abs(tau) + DoubleDouble.Sqrt(1.0 + tau * tau));
                        if (tau.Hi < 0) tangent = -tangent;
                    }
                    var c = 1.0 / DoubleDouble.Sqrt(1.0 + tangent * tangent);
                    var s = c * tangent;
                    for (int j = 0; j < m; j++)
                    {
                        DoubleDouble xp = x[p, j], xq = x[q, j];
                        x[p, j] = c * xp - s * xq;
                        x[q, j] = s * xp + c * xq;
                    }
                    for (int k = 0; k < t; k++)
                    {
                        DoubleDouble up = u[k, p], uq = u[k, q];
                        u[k, p] = c * up - s * uq;
                        u[k, q] = s * up + c * uq;
                    }
                }
            if (!rotated) break;
        }
        var squared = new DoubleDouble[t];
        for (int i = 0; i < t; i++)
            for (int j = 0; j < m; j++) squared[i] += x[i, j] * x[i, j];
        var sorted = Enumerable.Range(0, t).OrderByDescending(i => squared[i]).ThenBy(i => i).ToArray();
        double cut = Cutoff(t);
        var largest = t == 0 ? DoubleDouble.Zero : squared[sorted[0]];
        var kept = sorted.Where(i => squared[i].Hi > 0 && squared[i] > largest * (cut * cut)).ToArray();
        var values = new DoubleDouble[kept.Length];
        var vectors = new DoubleDouble[t, kept.Length];
        for (int k = 0; k < kept.Length; k++)
        {
            values[k] = squared[kept[k]];
            int big = 0;
            for (int i = 0; i < t; i++)
                if (Math.Abs(u[i, kept[k]].Hi) > Math.Abs(u[big, kept[k]].Hi)) big = i;
            double sign = u[big, kept[k]].Hi < 0 ? -1 : 1;
            for (int i = 0; i < t; i++) vectors[i, k] = u[i, kept[k]] * sign;
        }
        return (values, vectors);
    }
}
