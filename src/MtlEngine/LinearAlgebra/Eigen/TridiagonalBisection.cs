using System.Runtime.Intrinsics;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Selected eigenvalues of a symmetric tridiagonal T by bisection on Sturm counts (LAPACK's dstebz/dlaebz):
/// <para>
/// ν(x) = #{eigenvalues &lt; x} is the number of negative pivots of the LDLᵀ factorization of T − xI,
/// q₀ = d₀ − x, q_i = (d_i − x) − e²_{i−1}/q_{i−1} (Sylvester's law of inertia); a pivot with |q| &lt; pivmin is replaced
/// by −pivmin so that the recurrence never divides by zero. The eigenvalue of rank r (0-based, ascending) is the x where
/// ν jumps past r: starting from the Gershgorin interval, a bracket [lo, hi] with ν(lo) ≤ r &lt; ν(hi) is halved until it
/// is as narrow as the rounding allows, max(2ε·max(|lo|, |hi|), ε‖T‖, pivmin) — the same absolute accuracy as QL.
/// </para>
/// Cost O(n) per count. The k wanted brackets are halved together, their k counts interleaved in one pass over T (k
/// independent division chains instead of one, eight to a vector), and every count also tightens the other brackets it
/// falls into.
/// This is cheaper than QL's all n eigenvalues when only a few are wanted; <see cref="SymmetricEigen.TridiagonalQl"/>
/// is its twin in the tests.
/// </summary>
internal static class TridiagonalBisection
{
    /// <summary>
    /// The eigenvalues of ranks <paramref name="first"/> .. first + count − 1 (ascending) of the tridiagonal with diagonal
    /// <paramref name="d"/> and off-diagonal <paramref name="e"/> (e[i] couples i and i + 1; e[n − 1] is ignored).
    /// </summary>
    public static double[] Values(double[] d, double[] e, int first, int count)
    {
        int n = d.Length;
        if (first < 0 || count < 0 || first + count > n)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"Ranks {first} .. {first + count - 1} are not all in [0, {n}) for a tridiagonal of order {n}.");
        var values = new double[count];
        if (count == 0) return values;
        double eps = MachineEpsilon.UnitRoundoff, safeMin = Math.ScaleB(1.0, -1022);
        // e² once, the Gershgorin interval, and pivmin = safmin·max(1, max e²) (dstebz).
        var e2 = new double[n];
        double gl = double.PositiveInfinity, gu = double.NegativeInfinity, maxE2 = 1;
        for (int i = 0; i < n; i++)
        {
            double left = i > 0 ? Math.Abs(e[i - 1]) : 0, right = i < n - 1 ? Math.Abs(e[i]) : 0;
            if (i < n - 1) { e2[i] = e[i] * e[i]; maxE2 = Math.Max(maxE2, e2[i]); }
            gl = Math.Min(gl, d[i] - left - right);
            gu = Math.Max(gu, d[i] + left + right);
        }
        double pivmin = safeMin * maxE2;
        double tnorm = Math.Max(Math.Abs(gl), Math.Abs(gu));
        double fudge = 2.1 * (eps * n * tnorm + 2 * pivmin);
        gl -= fudge;
        gu += fudge;
        double absoluteTolerance = Math.Max(eps * tnorm, pivmin);

        var lo = new double[count];
        var hi = new double[count];
        Array.Fill(lo, gl);
        Array.Fill(hi, gu);
        var active = new int[count];
        var x = new double[count];
        var below = new int[count];
        while (true)
        {
            int m = 0;
            for (int j = 0; j < count; j++)
            {
                double width = hi[j] - lo[j];
                double tolerance = Math.Max(2 * eps * Math.Max(Math.Abs(lo[j]), Math.Abs(hi[j])), absoluteTolerance);
                double mid = 0.5 * (lo[j] + hi[j]);
                // Converged, or no double strictly inside the bracket.
                if (width <= tolerance || !(mid > lo[j] && mid < hi[j])) continue;
                active[m] = j;
                x[m] = mid;
                m++;
            }
            if (m == 0) break;
            SturmCounts(d, e2, pivmin, x.AsSpan(0, m), below.AsSpan(0, m));
            // Each count ν(x) tells every bracket that x falls into on which side its rank lies.
            for (int t = 0; t < m; t++)
            {
                double xt = x[t];
                int nu = below[t];
                for (int j = 0; j < count; j++)
                {
                    if (!(xt > lo[j] && xt < hi[j])) continue;
                    if (nu > first + j) hi[j] = xt;
                    else lo[j] = xt;
                }
            }
        }
        for (int j = 0; j < count; j++) values[j] = 0.5 * (lo[j] + hi[j]);
        Array.Sort(values);
        return values;
    }

    /// <summary>
    /// below[t] = ν(x[t]), the number of eigenvalues less than x[t]: the shifts share one pass over T, eight to a 512-bit
    /// vector where the machine has them (lane by lane the same operations as <see cref="SturmCountsScalar"/>, so the same counts).
    /// </summary>
    internal static void SturmCounts(double[] d, double[] e2, double pivmin, ReadOnlySpan<double> x, Span<int> below)
    {
        int m = x.Length, width = Vector512<double>.Count;
        if (!Vector512.IsHardwareAccelerated || m < width)
        {
            SturmCountsScalar(d, e2, pivmin, x, below);
            return;
        }
        int groups = (m + width - 1) / width;
        Span<Vector512<double>> shift = groups <= 16 ? stackalloc Vector512<double>[groups] : new Vector512<double>[groups];
        Span<Vector512<double>> q = groups <= 16 ? stackalloc Vector512<double>[groups] : new Vector512<double>[groups];
        Span<Vector512<long>> count = groups <= 16 ? stackalloc Vector512<long>[groups] : new Vector512<long>[groups];
        Span<double> lanes = stackalloc double[width];
        for (int g = 0; g < groups; g++)
        {
            // The last group is padded with its last shift (those lanes are computed and ignored).
            for (int l = 0; l < width; l++) lanes[l] = x[Math.Min(g * width + l, m - 1)];
            shift[g] = Vector512.Create((ReadOnlySpan<double>)lanes);
        }
        var small = Vector512.Create(pivmin);
        var negativeSmall = Vector512.Create(-pivmin);
        var d0 = Vector512.Create(d[0]);
        for (int g = 0; g < groups; g++)
        {
            var v = d0 - shift[g];
            v = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(v), small), negativeSmall, v);
            q[g] = v;
            count[g] = -Vector512.LessThanOrEqual(v, Vector512<double>.Zero).AsInt64();
        }
        int n = d.Length;
        for (int i = 1; i < n; i++)
        {
            var di = Vector512.Create(d[i]);
            var ei = Vector512.Create(e2[i - 1]);
            for (int g = 0; g < groups; g++)
            {
                var v = (di - shift[g]) - ei / q[g];
                v = Vector512.ConditionalSelect(Vector512.LessThan(Vector512.Abs(v), small), negativeSmall, v);
                q[g] = v;
                count[g] -= Vector512.LessThanOrEqual(v, Vector512<double>.Zero).AsInt64();
            }
        }
        for (int t = 0; t < m; t++) below[t] = (int)count[t / width].GetElement(t % width);
    }

    /// <summary>The scalar Sturm counts (the vector form's twin, and its path on machines without 512-bit vectors).</summary>
    internal static void SturmCountsScalar(double[] d, double[] e2, double pivmin, ReadOnlySpan<double> x, Span<int> below)
    {
        int n = d.Length, m = x.Length;
        Span<double> q = m <= 64 ? stackalloc double[m] : new double[m];
        for (int t = 0; t < m; t++)
        {
            double v = d[0] - x[t];
            if (Math.Abs(v) < pivmin) v = -pivmin;
            q[t] = v;
            below[t] = v <= 0 ? 1 : 0;
        }
        for (int i = 1; i < n; i++)
        {
            double di = d[i], ei = e2[i - 1];
            for (int t = 0; t < m; t++)
            {
                double v = (di - x[t]) - ei / q[t];
                if (Math.Abs(v) < pivmin) v = -pivmin;
                q[t] = v;
                below[t] += v <= 0 ? 1 : 0;
            }
        }
    }
}
