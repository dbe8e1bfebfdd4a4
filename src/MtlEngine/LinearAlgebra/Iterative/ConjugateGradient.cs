namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Conjugate gradients (Hestenes–Stiefel 1952) for A·x = b with A symmetric positive definite, given as an operator:
/// <code>
/// r = b − A·x,  p = r
/// repeat:  α = rᵀr / pᵀA·p,  x += α·p,  r −= α·A·p,  β = r₊ᵀr₊ / rᵀr,  p = r + β·p
/// until ‖r‖ ≤ tolerance·‖b‖
/// </code>
/// Converges in at most n steps in exact arithmetic, faster when the eigenvalues cluster. A non-positive curvature
/// pᵀA·p ≤ 0 means A is not positive definite and raises <see cref="NotPositiveDefiniteException"/>.
/// </summary>
public static class ConjugateGradient
{
    /// <summary>Solves A·x = b.</summary>
    /// <param name="a">The symmetric positive definite operator (n×n).</param>
    /// <param name="b">The right-hand side, length n.</param>
    /// <param name="tolerance">Stop when ‖r‖ ≤ tolerance·‖b‖ (default 1e-10).</param>
    /// <param name="maxIterations">The iteration limit (default 10·n).</param>
    /// <param name="initialGuess">The starting x (default zero).</param>
    /// <exception cref="MatrixShapeException">When A is not square or b has the wrong length.</exception>
    /// <exception cref="NotPositiveDefiniteException">When a search direction has non-positive curvature.</exception>
    public static IterativeResult Solve(ILinearOperator a, ReadOnlySpan<double> b, double tolerance = 1e-10, int? maxIterations = null, ReadOnlySpan<double> initialGuess = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        int n = a.Rows;
        if (a.Columns != n || b.Length != n)
            throw new MatrixShapeException($"Conjugate gradients needs a square operator and a right-hand side of its size, but got ({a.Rows}, {a.Columns}) and length {b.Length}.");
        int limit = maxIterations ?? 10 * Math.Max(n, 1);
        var x = initialGuess.IsEmpty ? new double[n] : initialGuess.ToArray();
        var r = b.ToArray();
        var ap = new double[n];
        if (!initialGuess.IsEmpty)
        {
            a.Apply(x, ap);
            for (int i = 0; i < n; i++) r[i] -= ap[i];
        }
        var p = (double[])r.Clone();
        double bnorm = Dense.Norm2(b), rr = Dense.Dot(r, r);
        double target = tolerance * (bnorm == 0 ? 1 : bnorm);
        if (Math.Sqrt(rr) <= target) return new IterativeResult(x, 0, true, Math.Sqrt(rr));
        for (int it = 1; it <= limit; it++)
        {
            a.Apply(p, ap);
            double curvature = Dense.Dot(p, ap);
            if (!(curvature > 0)) throw new NotPositiveDefiniteException(it - 1, curvature);
            double alpha = rr / curvature;
            Dense.Axpy(alpha, p, x);
            Dense.Axpy(-alpha, ap, r);
            double rrNext = Dense.Dot(r, r);
            if (Math.Sqrt(rrNext) <= target) return new IterativeResult(x, it, true, Math.Sqrt(rrNext));
            double beta = rrNext / rr;
            rr = rrNext;
            for (int i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
        }
        return new IterativeResult(x, limit, false, Math.Sqrt(rr));
    }

    /// <summary>Solves A·x = b for a dense symmetric positive definite matrix.</summary>
    /// <param name="a">The symmetric positive definite matrix (n×n).</param>
    /// <param name="b">The right-hand side, length n.</param>
    /// <param name="tolerance">Stop when ‖r‖ ≤ tolerance·‖b‖ (default 1e-10).</param>
    /// <param name="maxIterations">The iteration limit (default 10·n).</param>
    /// <param name="parallelism">Threads for the products with A (see <see cref="DenseOperator"/>; the result does not depend on it); null: all cores.</param>
    public static IterativeResult Solve(DenseMatrix a, ReadOnlySpan<double> b, double tolerance = 1e-10, int? maxIterations = null, Parallelism? parallelism = null) =>
        Solve(new DenseOperator(a, parallelism), b, tolerance, maxIterations);
}
