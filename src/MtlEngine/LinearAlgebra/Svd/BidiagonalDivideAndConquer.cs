using System.Runtime.CompilerServices;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// The SVD B = U·Σ·Vᵀ of an n×n upper bidiagonal B (diagonal d, superdiagonal e) by divide and conquer (Gu and Eisenstat
/// 1995, LAPACK's dbdsdc/dlasd*). Split at row k: rows 0..k−1 form B₁ (k×(k+1)), row k holds (d_k, e_k), rows k+1.. form
/// B₂. With the SVDs of B₁ = U₁·[Σ₁ 0]·W₁ᵀ and B₂ = U₂·Σ₂·W₂ᵀ,
/// <code>
/// B = diag(U₁, 1, U₂) · M · diag(W₁, W₂)ᵀ,   M = [ z₀ z₁ … z_{n−1} ]    (row k of B carried over: z = (d_k·W₁[k, :], e_k·W₂[0, :]))
///                                               [ 0   diag(Σ₁, Σ₂)  ]
/// σ² are the roots of the secular equation  f(σ) = 1 + Σᵢ zᵢ² / (dᵢ² − σ²) = 0   (d₀ = 0, one root between neighbouring dᵢ)
/// vⱼ ∝ ( ẑᵢ / (dᵢ² − σⱼ²) )ᵢ,  uⱼ ∝ ( −1, dᵢ·ẑᵢ / (dᵢ² − σⱼ²) )ᵢ≥₁,   ẑ recomputed from the σⱼ (Löwner) so the vectors are orthogonal
/// U = diag(U₁, 1, U₂)·[uⱼ],  V = diag(W₁, W₂)·[vⱼ]                      (two GEMMs per merge)
/// </code>
/// Before solving, entries with |zᵢ| ≤ tol and nearly equal dᵢ are deflated (dlasd2), which is what makes the method
/// fast in practice. B₁'s extra column is removed first by k rotations from the right (a bulge chased up), so every
/// subproblem is square; subproblems of at most <see cref="LeafSize"/> columns are solved by one-sided Jacobi.
/// Each secular root is found by the "middle way" rational iteration (Li 1993) on λ = σ², safeguarded by bisection, with
/// σ stored as an offset τ from its nearer pole so that dᵢ − σ is computed without cancellation.
/// </summary>
internal static class BidiagonalDivideAndConquer
{
    /// <summary>Subproblems up to this size go to Jacobi.</summary>
    public const int LeafSize = 16;

    private const double Eps = 2.220446049250313e-16;

    /// <summary>U (n×n), σ (descending) and V (n×n) with B = U·diag(σ)·Vᵀ.</summary>
    public static (DenseMatrix U, double[] Sigma, DenseMatrix V) Compute(double[] d, double[] e, Parallelism parallelism)
    {
        int n = d.Length;
        if (n == 0) return (new DenseMatrix(0, 0), [], new DenseMatrix(0, 0));
        double scale = Math.Max(Dense.MaxAbs(d), Dense.MaxAbs(e));
        if (scale == 0 || !double.IsFinite(scale))
        {
            if (!double.IsFinite(scale))
                throw new NoConvergenceException($"The bidiagonal SVD met a non-finite entry ({scale}); check the input matrix for NaN or infinite values.");
            return (DenseMatrix.Identity(n), new double[n], DenseMatrix.Identity(n));
        }
        var ds = new double[n];
        var es = new double[Math.Max(n - 1, 0)];
        for (int i = 0; i < n; i++) ds[i] = d[i] / scale;
        for (int i = 0; i < n - 1; i++) es[i] = e[i] / scale;
        var (u, s, v) = Solve(ds, es, parallelism);
        var order = Enumerable.Range(0, n).OrderByDescending(i => s[i]).ThenBy(i => i).ToArray();
        var us = new DenseMatrix(n, n);
        var vs = new DenseMatrix(n, n);
        var sigma = new double[n];
        for (int j = 0; j < n; j++) sigma[j] = s[order[j]] * scale;
        for (int i = 0; i < n; i++)
        {
            var ur = u.Row(i);
            var vr = v.Row(i);
            var usr = us.Row(i);
            var vsr = vs.Row(i);
            for (int j = 0; j < n; j++)
            {
                usr[j] = ur[order[j]];
                vsr[j] = vr[order[j]];
            }
        }
        return (us, sigma, vs);
    }

    private static (DenseMatrix U, double[] Sigma, DenseMatrix V) Solve(double[] d, double[] e, Parallelism parallelism)
    {
        int n = d.Length;
        if (n <= LeafSize) return Leaf(d, e);
        int k = n / 2;
        double alpha = d[k], beta = e[k];

        // B₁ = rows 0..k−1, columns 0..k. Chase its last column away: column rotations Rᵢ on (i, k), i = k−1 .. 0.
        var d1 = d[..k];
        var e1 = e[..(k - 1)];
        var cs = new double[k];
        var sn = new double[k];
        double bulge = e[k - 1];
        for (int i = k - 1; i >= 0; i--)
        {
            double r = double.Hypot(d1[i], bulge);
            double c = r == 0 ? 1 : d1[i] / r, s = r == 0 ? 0 : bulge / r;
            d1[i] = r;
            cs[i] = c;
            sn[i] = s;
            if (i > 0)
            {
                bulge = -s * e1[i - 1];
                e1[i - 1] *= c;
            }
        }
        var d2 = d[(k + 1)..];
        var e2 = e[(k + 1)..];

        (DenseMatrix U, double[] Sigma, DenseMatrix V) left, right;
        if (parallelism.Degree > 1 && n >= 128)
        {
            // The halves are independent: one thread each (a fixed split, so the result does not depend on timing).
            var inner = new Parallelism(Math.Max(1, parallelism.Degree / 2));
            var task = Task.Run(() => Solve(d2, e2, inner));
            left = Solve(d1, e1, inner);
            right = task.Result;
        }
        else
        {
            left = Solve(d1, e1, parallelism);
            right = Solve(d2, e2, parallelism);
        }

        // W₁ = R_{k−1}·…·R₀·diag(Ṽ₁, 1).
        var ubig = new DenseMatrix(n, n);
        var vbig = new DenseMatrix(n, n);
        for (int i = 0; i < k; i++)
        {
            left.U.Row(i).CopyTo(ubig.Row(i)[..k]);
            left.V.Row(i).CopyTo(vbig.Row(i)[..k]);
        }
        ubig[k, k] = 1;
        vbig[k, k] = 1;
        int n2 = n - k - 1;
        for (int i = 0; i < n2; i++)
        {
            right.U.Row(i).CopyTo(ubig.Row(k + 1 + i)[(k + 1)..]);
            right.V.Row(i).CopyTo(vbig.Row(k + 1 + i)[(k + 1)..]);
        }
        var rowK = vbig.Row(k)[..(k + 1)];
        for (int i = 0; i < k; i++)
        {
            var rowI = vbig.Row(i)[..(k + 1)];
            double c = cs[i], s = sn[i];
            for (int j = 0; j <= k; j++)
            {
                double x = rowI[j], y = rowK[j];
                rowI[j] = c * x - s * y;
                rowK[j] = s * x + c * y;
            }
        }

        // The merge in standard form: index 0 is the null column of W₁ (d = 0), the others the singular values of B₁ and B₂.
        var dm = new double[n];
        var zm = new double[n];
        var col = new int[n];   // the column of ubig and vbig that belongs to index i
        zm[0] = alpha * vbig[k, k];
        col[0] = k;
        for (int j = 0; j < k; j++) { dm[1 + j] = left.Sigma[j]; zm[1 + j] = alpha * vbig[k, j]; col[1 + j] = j; }
        for (int j = 0; j < n2; j++) { dm[k + 1 + j] = right.Sigma[j]; zm[k + 1 + j] = beta * right.V[0, j]; col[k + 1 + j] = k + 1 + j; }
        return Merge(dm, zm, col, ubig, vbig, Math.Abs(alpha), Math.Abs(beta), parallelism);
    }

    /// <summary>Solves the merged problem M (standard form), deflating first; returns the singular triplets of B.</summary>
    private static (DenseMatrix U, double[] Sigma, DenseMatrix V) Merge(double[] dm, double[] zm, int[] col, DenseMatrix ubig, DenseMatrix vbig,
        double alpha, double beta, Parallelism parallelism)
    {
        int n = dm.Length;
        double orgnrm = Math.Max(alpha, beta);
        for (int i = 1; i < n; i++) orgnrm = Math.Max(orgnrm, dm[i]);
        if (orgnrm == 0) return (ubig, new double[n], vbig);
        for (int i = 0; i < n; i++) { dm[i] /= orgnrm; zm[i] /= orgnrm; }
        double tol = 8 * Eps * Math.Max(Math.Max(alpha, beta) / orgnrm, MaxOf(dm));

        var sorted = Enumerable.Range(1, n - 1).OrderBy(i => dm[i]).ThenBy(i => i).ToArray();
        var keep = new List<int>(n) { 0 };
        var deflated = new List<int>();
        if (Math.Abs(zm[0]) <= tol) zm[0] = tol;
        int prev = -1;
        foreach (int p in sorted)
        {
            if (Math.Abs(zm[p]) <= tol) { deflated.Add(p); continue; }
            if (prev >= 0 && dm[p] - dm[prev] <= tol)
            {
                // Nearly equal poles: one rotation on both sides moves z_prev into z_p; prev deflates.
                double r = double.Hypot(zm[prev], zm[p]);
                double c = zm[p] / r, s = zm[prev] / r;
                RotateColumns(ubig, col[prev], col[p], c, s);
                RotateColumns(vbig, col[prev], col[p], c, s);
                zm[prev] = 0;
                zm[p] = r;
                keep.RemoveAt(keep.Count - 1);
                deflated.Add(prev);
            }
            keep.Add(p);
            prev = p;
        }
        if (keep.Count > 1 && dm[keep[1]] <= tol / 2) dm[keep[1]] = tol / 2;

        int kk = keep.Count;
        var dk = new double[kk];
        var zk = new double[kk];
        for (int i = 0; i < kk; i++) { dk[i] = dm[keep[i]]; zk[i] = zm[keep[i]]; }
        var umat = new DenseMatrix(kk, kk);
        var vmat = new DenseMatrix(kk, kk);
        var sigma = new double[n];
        if (kk == 1)
        {
            sigma[0] = Math.Abs(zk[0]);
            umat[0, 0] = Math.Sign(zk[0]);
            vmat[0, 0] = 1;
        }
        else
        {
            SecularVectors(dk, zk, sigma, umat, vmat);
        }

        // U = ubig[:, keep]·umat, V = vbig[:, keep]·vmat, then the deflated columns as they are.
        var ug = new DenseMatrix(n, kk);
        var vg = new DenseMatrix(n, kk);
        for (int i = 0; i < n; i++)
        {
            var ur = ubig.Row(i);
            var vr = vbig.Row(i);
            var ugr = ug.Row(i);
            var vgr = vg.Row(i);
            for (int j = 0; j < kk; j++) { ugr[j] = ur[col[keep[j]]]; vgr[j] = vr[col[keep[j]]]; }
        }
        var u = new DenseMatrix(n, n);
        var v = new DenseMatrix(n, n);
        Gemm.Multiply(1.0, ug.ReadOnlySpan, umat.ReadOnlySpan, 0.0, Dense.Sub(u, 0, 0, n, kk), parallelism);
        Gemm.Multiply(1.0, vg.ReadOnlySpan, vmat.ReadOnlySpan, 0.0, Dense.Sub(v, 0, 0, n, kk), parallelism);
        for (int t = 0; t < deflated.Count; t++)
        {
            int p = deflated[t], j = kk + t;
            sigma[j] = dm[p];
            for (int i = 0; i < n; i++) { u[i, j] = ubig[i, col[p]]; v[i, j] = vbig[i, col[p]]; }
        }
        for (int i = 0; i < n; i++) sigma[i] *= orgnrm;
        return (u, sigma, v);
    }

    private static double MaxOf(double[] x)
    {
        double m = 0;
        foreach (double v in x) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    private static void RotateColumns(DenseMatrix a, int p, int q, double c, double s)
    {
        // new_p = c·a_p − s·a_q,  new_q = s·a_p + c·a_q
        for (int i = 0; i < a.Rows; i++)
        {
            double x = a[i, p], y = a[i, q];
            a[i, p] = c * x - s * y;
            a[i, q] = s * x + c * y;
        }
    }

    /// <summary>
    /// For 0 = d₀ &lt; d₁ &lt; … &lt; d_{K−1} (gaps above the deflation tolerance) and zᵢ ≠ 0: the roots σⱼ of the secular
    /// equation, the Löwner ẑ, and the singular vectors of M as the columns of <paramref name="umat"/> and <paramref name="vmat"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SecularVectors(double[] d, double[] z, double[] sigma, DenseMatrix umat, DenseMatrix vmat)
    {
        int kk = d.Length;
        var origin = new int[kk];
        var tau = new double[kk];
        double zz = 0;
        foreach (double v in z) zz += v * v;
        for (int j = 0; j < kk; j++)
        {
            (origin[j], tau[j]) = SecularRoot(d, z, j, zz);
            sigma[j] = d[origin[j]] + tau[j];
        }
        // diff[i, j] = dᵢ − σⱼ without cancellation, sum = dᵢ + σⱼ.
        var diff = new double[kk * kk];
        for (int i = 0; i < kk; i++)
            for (int j = 0; j < kk; j++) diff[i * kk + j] = (d[i] - d[origin[j]]) - tau[j];
        // Löwner: ẑᵢ² = (σ_{K−1}² − dᵢ²)·Π_{j<i} (σⱼ² − dᵢ²)/(dⱼ² − dᵢ²)·Π_{i≤j<K−1} (σⱼ² − dᵢ²)/(d_{j+1}² − dᵢ²).
        var zh = new double[kk];
        for (int i = 0; i < kk; i++)
        {
            double prod = -diff[i * kk + kk - 1] * (d[i] + sigma[kk - 1]);
            for (int j = 0; j < i; j++)
                prod *= diff[i * kk + j] * (d[i] + sigma[j]) / ((d[i] - d[j]) * (d[i] + d[j]));
            for (int j = i; j < kk - 1; j++)
                prod *= diff[i * kk + j] * (d[i] + sigma[j]) / ((d[i] - d[j + 1]) * (d[i] + d[j + 1]));
            zh[i] = Math.CopySign(Math.Sqrt(Math.Abs(prod)), z[i]);
        }
        for (int j = 0; j < kk; j++)
        {
            double vn = 0, un = 1;
            for (int i = 0; i < kk; i++)
            {
                double t = zh[i] / (diff[i * kk + j] * (d[i] + sigma[j]));
                vmat[i, j] = t;
                vn += t * t;
                if (i == 0) umat[0, j] = -1;
                else
                {
                    double ut = d[i] * t;
                    umat[i, j] = ut;
                    un += ut * ut;
                }
            }
            vn = 1 / Math.Sqrt(vn);
            un = 1 / Math.Sqrt(un);
            for (int i = 0; i < kk; i++) { vmat[i, j] *= vn; umat[i, j] *= un; }
        }
    }

    /// <summary>
    /// Root j of f(σ) = 1 + Σ zᵢ²/((dᵢ − σ)(dᵢ + σ)), in (d_j, d_{j+1}) (or above d_{K−1} for the last), as (origin pole K, τ = σ − d_K).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int Origin, double Tau) SecularRoot(double[] d, double[] z, int j, double zz)
    {
        int kk = d.Length;
        bool last = j == kk - 1;
        int origin;
        double lo, hi;
        if (last)
        {
            origin = j;
            lo = 0;
            hi = zz / (d[j] + Math.Sqrt(d[j] * d[j] + zz));
        }
        else
        {
            double mid = 0.5 * (d[j] + d[j + 1]);
            double f = 1;
            for (int i = 0; i < kk; i++) f += z[i] * z[i] / ((d[i] - mid) * (d[i] + mid));
            if (f >= 0) { origin = j; lo = 0; hi = mid - d[j]; }
            else { origin = j + 1; lo = mid - d[j + 1]; hi = 0; }
        }
        double dk = d[origin];
        double tau = 0.5 * (lo + hi);
        for (int iter = 0; iter < 200; iter++)
        {
            double sigma = dk + tau;
            double w = 1, psi = 0, phi = 0, dpsi = 0, dphi = 0, absSum = 0;
            double a = 0, b = 0;
            for (int i = 0; i < kk; i++)
            {
                double delta = ((d[i] - dk) - tau) * (d[i] + sigma);   // dᵢ² − σ²
                double t = z[i] / delta;
                double term = z[i] * t, dterm = t * t;
                if (i <= j) { psi += term; dpsi += dterm; } else { phi += term; dphi += dterm; }
                absSum += Math.Abs(term);
                if (i == j) a = delta;
                if (i == j + 1) b = delta;
            }
            w += psi + phi;
            if (Math.Abs(w) <= 10 * Eps * (1 + absSum) * Math.Sqrt(kk)) break;
            if (w < 0) lo = tau; else hi = tau;
            if (hi - lo <= 2 * Eps * Math.Max(Math.Abs(lo), Math.Abs(hi))) { tau = 0.5 * (lo + hi); break; }
            // Middle-way model in λ = σ²: f(λ + η) ≈ c + s/(a − η) + t/(b − η), matching f and the derivatives of ψ and φ.
            double eta = double.NaN;
            if (last)
            {
                double s = a * a * dpsi;
                double c = w - s / a;
                if (c > 0) eta = a + s / c;
            }
            else
            {
                double s = a * a * dpsi, t = b * b * dphi;
                double c = w - s / a - t / b;
                double bq = c * (a + b) + s + t, cq = c * a * b + s * b + t * a;
                if (c == 0) eta = cq / bq;
                else
                {
                    double disc = Math.Max(bq * bq - 4 * c * cq, 0);
                    double q = 0.5 * (bq + Math.CopySign(Math.Sqrt(disc), bq));
                    double e1 = q / c, e2 = q != 0 ? cq / q : double.NaN;
                    eta = e1 > a && e1 < b ? e1 : e2 > a && e2 < b ? e2 : double.NaN;
                }
            }
            double next;
            double s2 = sigma * sigma + eta;
            if (double.IsFinite(eta) && s2 >= 0)
            {
                double sn = Math.Sqrt(s2);
                next = sigma + sn > 0 ? tau + eta / (sigma + sn) : 0.5 * (lo + hi);
            }
            else next = 0.5 * (lo + hi);
            if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
            if (next == tau) break;
            tau = next;
        }
        return (origin, tau);
    }

    /// <summary>A small bidiagonal by one-sided Jacobi on its columns (dense).</summary>
    private static (DenseMatrix U, double[] Sigma, DenseMatrix V) Leaf(double[] d, double[] e)
    {
        int n = d.Length;
        // Rows of yt are the columns of B; Jacobi gives B·J = Y with orthogonal columns, so V = J and U = Y·Σ⁻¹.
        var yt = new DenseMatrix(n, n);
        for (int i = 0; i < n; i++)
        {
            yt[i, i] = d[i];
            if (i + 1 < n) yt[i + 1, i] = e[i];
        }
        var jt = DenseMatrix.Identity(n);
        Svd.OneSidedJacobi(yt, jt, default);
        var sigma = new double[n];
        var u = new DenseMatrix(n, n);
        var v = new DenseMatrix(n, n);
        var missing = new List<int>();
        for (int j = 0; j < n; j++)
        {
            sigma[j] = Dense.Norm2(yt.Row(j));
            for (int i = 0; i < n; i++) v[i, j] = jt[j, i];
            if (sigma[j] == 0) { missing.Add(j); continue; }
            for (int i = 0; i < n; i++) u[i, j] = yt[j, i] / sigma[j];
        }
        Svd.CompleteOrthonormalColumns(u, missing);
        return (u, sigma, v);
    }
}
