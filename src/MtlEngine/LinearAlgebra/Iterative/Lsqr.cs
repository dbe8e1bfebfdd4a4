namespace MtlEngine.LinearAlgebra;

/// <summary>
/// LSQR (Paige and Saunders 1982): min ‖A·x − b‖² + damp²·‖x‖² for any A of shape (m, n), through Golub–Kahan
/// bidiagonalization (β₁u₁ = b, α₁v₁ = Aᵀu₁; βᵢ₊₁uᵢ₊₁ = A·vᵢ − αᵢuᵢ, αᵢ₊₁vᵢ₊₁ = Aᵀuᵢ₊₁ − βᵢ₊₁vᵢ) and a QR of the
/// bidiagonal updated by one plane rotation per step. Mathematically CG on the normal equations, numerically much
/// safer. damp &gt; 0 solves ridge regression with λ = damp². Stops when either the system is consistent
/// (‖r‖ ≤ tolerance·‖b‖) or the least-squares optimality ‖Aᵀr‖ ≤ tolerance·‖A‖·‖r‖ holds.
/// </summary>
public static class Lsqr
{
    /// <summary>Solves the (damped) least-squares problem.</summary>
    /// <param name="a">The operator (m×n).</param>
    /// <param name="b">The right-hand side, length m.</param>
    /// <param name="damp">The Tikhonov damping (ridge λ = damp²); default 0.</param>
    /// <param name="tolerance">The relative stopping tolerance (default 1e-10).</param>
    /// <param name="maxIterations">The iteration limit (default max(20, 4·n)).</param>
    /// <exception cref="MatrixShapeException">When b has the wrong length.</exception>
    public static IterativeResult Solve(ILinearOperator a, ReadOnlySpan<double> b, double damp = 0, double tolerance = 1e-10, int? maxIterations = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        int m = a.Rows, n = a.Columns;
        if (b.Length != m)
            throw new MatrixShapeException($"LSQR: the operator has shape ({m}, {n}) but the right-hand side has length {b.Length}.");
        int limit = maxIterations ?? Math.Max(20, 4 * n);
        var x = new double[n];
        var u = b.ToArray();
        var v = new double[n];
        var w = new double[n];
        var tmpM = new double[m];
        var tmpN = new double[n];
        double beta = Dense.Norm2(u);
        if (beta == 0) return new IterativeResult(x, 0, true, 0);
        Dense.Scale(1 / beta, u);
        a.ApplyTransposed(u, v);
        double alpha = Dense.Norm2(v);
        if (alpha == 0) return new IterativeResult(x, 0, true, beta);
        Dense.Scale(1 / alpha, v);
        v.CopyTo(w, 0);
        double phibar = beta, rhobar = alpha, bnorm = beta, anorm = 0, rnorm = beta;
        for (int it = 1; it <= limit; it++)
        {
            // Continue the bidiagonalization.
            a.Apply(v, tmpM);
            for (int i = 0; i < m; i++) u[i] = tmpM[i] - alpha * u[i];
            beta = Dense.Norm2(u);
            if (beta > 0) Dense.Scale(1 / beta, u);
            anorm = Math.Sqrt(anorm * anorm + alpha * alpha + beta * beta + damp * damp);
            a.ApplyTransposed(u, tmpN);
            for (int i = 0; i < n; i++) v[i] = tmpN[i] - beta * v[i];
            alpha = Dense.Norm2(v);
            if (alpha > 0) Dense.Scale(1 / alpha, v);
            // Eliminate the damping, then the sub-diagonal β, with plane rotations.
            double rhobar1 = double.Hypot(rhobar, damp);
            double cs1 = rhobar / rhobar1, sn1 = damp / rhobar1;
            double psi = sn1 * phibar;
            phibar = cs1 * phibar;
            double rho = double.Hypot(rhobar1, beta);
            double c = rhobar1 / rho, s = beta / rho;
            double theta = s * alpha;
            rhobar = -c * alpha;
            double phi = c * phibar;
            phibar = s * phibar;
            // x += (φ/ρ)·w, w = v − (θ/ρ)·w.
            Dense.Axpy(phi / rho, w, x);
            for (int i = 0; i < n; i++) w[i] = v[i] - theta / rho * w[i];
            rnorm = Math.Sqrt(phibar * phibar + psi * psi);
            double arnorm = alpha * Math.Abs(s * phi);
            if (Math.Abs(phibar) <= tolerance * bnorm || arnorm <= tolerance * anorm * rnorm || alpha == 0)
                return new IterativeResult(x, it, true, rnorm);
        }
        return new IterativeResult(x, limit, false, rnorm);
    }

    /// <summary>Solves the (damped) least-squares problem for a dense matrix.</summary>
    /// <param name="a">The matrix (m×n).</param>
    /// <param name="b">The right-hand side, length m.</param>
    /// <param name="damp">The Tikhonov damping (ridge λ = damp²); default 0.</param>
    /// <param name="tolerance">The relative stopping tolerance (default 1e-10).</param>
    /// <param name="maxIterations">The iteration limit (default max(20, 4·n)).</param>
    /// <param name="parallelism">Threads for the products with A (see <see cref="DenseOperator"/>; the result does not depend on it); null: all cores.</param>
    public static IterativeResult Solve(DenseMatrix a, ReadOnlySpan<double> b, double damp = 0, double tolerance = 1e-10, int? maxIterations = null, Parallelism? parallelism = null) =>
        Solve(new DenseOperator(a, parallelism), b, damp, tolerance, maxIterations);
}
