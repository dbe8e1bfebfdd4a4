using System.Buffers;
using System.Numerics;
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

    /// <summary>U (n×n), σ (descending) and V (n×n) with B = U·diag(σ)·Vᵀ.</summary>
    public static (DenseMatrix U, double[] Sigma, DenseMatrix V) Compute(double[] d, double[] e, Parallelism parallelism)
    {
        int n = d.Length;
        var u = new DenseMatrix(n, n);
        var v = new DenseMatrix(n, n);
        var sigma = Compute(d, e, u.Span, v.Span, parallelism);
        return (u, sigma, v);
    }

    /// <summary>
    /// σ (descending), with U and V (n×n, B = U·diag(σ)·Vᵀ) written into <paramref name="uOut"/> and <paramref name="vOut"/>
    /// (caller storage, e.g. the top n rows of the m×n U of an SVD, so that no n×n copy is made).
    /// </summary>
    public static double[] Compute(double[] d, double[] e, MatrixSpan<double> uOut, MatrixSpan<double> vOut, Parallelism parallelism)
    {
        int n = d.Length;
        if (uOut.Rows != n || uOut.Columns != n || vOut.Rows != n || vOut.Columns != n)
            throw new MatrixShapeException($"The bidiagonal SVD of order {n} writes U and V of shape ({n}, {n}), but got ({uOut.Rows}, {uOut.Columns}) and ({vOut.Rows}, {vOut.Columns}).");
        if (n == 0) return [];
        double scale = Math.Max(Dense.MaxAbs(d), Dense.MaxAbs(e));
        if (scale == 0 || !double.IsFinite(scale))
        {
            if (!double.IsFinite(scale))
                throw new NoConvergenceException($"The bidiagonal SVD met a non-finite entry ({scale}); check the input matrix for NaN or infinite values.");
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++) uOut[i, j] = vOut[i, j] = i == j ? 1 : 0;
            return new double[n];
        }
        var ds = new double[n];
        var es = new double[Math.Max(n - 1, 0)];
        for (int i = 0; i < n; i++) ds[i] = d[i] / scale;
        for (int i = 0; i < n - 1; i++) es[i] = e[i] / scale;
        var (u, s, v) = Solve(ds, es, parallelism);
        var order = Enumerable.Range(0, n).OrderByDescending(i => s[i]).ThenBy(i => i).ToArray();
        var sigma = new double[n];
        for (int j = 0; j < n; j++) sigma[j] = s[order[j]] * scale;
        for (int i = 0; i < n; i++)
        {
            var ur = u.Row(i);
            var vr = v.Row(i);
            for (int j = 0; j < n; j++)
            {
                uOut[i, j] = ur[order[j]];
                vOut[i, j] = vr[order[j]];
            }
        }
        u.Return();
        v.Return();
        return sigma;
    }

    private static (Pooled U, double[] Sigma, Pooled V) Solve(double[] d, double[] e, Parallelism parallelism)
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

        (Pooled U, double[] Sigma, Pooled V) left, right;
        if (parallelism.Degree > 1 && n >= ParallelThresholds.BidiagonalHalvesOrder)
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
        var w1 = new Pooled(k + 1, k + 1);
        for (int i = 0; i < k; i++) left.V.Row(i).CopyTo(w1.Row(i));
        w1[k, k] = 1;
        var rowK = w1.Row(k);
        for (int i = 0; i < k; i++)
        {
            var rowI = w1.Row(i);
            double c = cs[i], s = sn[i];
            for (int j = 0; j <= k; j++)
            {
                double x = rowI[j], y = rowK[j];
                rowI[j] = c * x - s * y;
                rowK[j] = s * x + c * y;
            }
        }

        // The merge in standard form: index 0 is the null column of W₁ (d = 0), the others the singular values of B₁ and B₂.
        // col[i] is the column of diag(U₁, 1, U₂) and of diag(W₁, W₂) that belongs to index i.
        int n2 = n - k - 1;
        var dm = new double[n];
        var zm = new double[n];
        var col = new int[n];
        zm[0] = alpha * w1[k, k];
        col[0] = k;
        for (int j = 0; j < k; j++) { dm[1 + j] = left.Sigma[j]; zm[1 + j] = alpha * w1[k, j]; col[1 + j] = j; }
        for (int j = 0; j < n2; j++) { dm[k + 1 + j] = right.Sigma[j]; zm[k + 1 + j] = beta * right.V[0, j]; col[k + 1 + j] = k + 1 + j; }
        var (ue, vf, sigma) = Merge(dm, zm, col, Math.Abs(alpha), Math.Abs(beta));

        // U = diag(U₁, 1, U₂)·E and V = diag(W₁, W₂)·F, one GEMM per diagonal block.
        var u = new Pooled(n, n);
        var v = new Pooled(n, n);
        Gemm.Multiply(1.0, left.U.ReadOnlySpan, Dense.Sub(ue.ReadOnlySpan, 0, 0, k, n), 0.0, Dense.Sub(u.Span, 0, 0, k, n), parallelism);
        ue.Row(k).CopyTo(u.Row(k));
        Gemm.Multiply(1.0, right.U.ReadOnlySpan, Dense.Sub(ue.ReadOnlySpan, k + 1, 0, n2, n), 0.0, Dense.Sub(u.Span, k + 1, 0, n2, n), parallelism);
        Gemm.Multiply(1.0, w1.ReadOnlySpan, Dense.Sub(vf.ReadOnlySpan, 0, 0, k + 1, n), 0.0, Dense.Sub(v.Span, 0, 0, k + 1, n), parallelism);
        Gemm.Multiply(1.0, right.V.ReadOnlySpan, Dense.Sub(vf.ReadOnlySpan, k + 1, 0, n2, n), 0.0, Dense.Sub(v.Span, k + 1, 0, n2, n), parallelism);
        foreach (var x in (Pooled[])[left.U, left.V, right.U, right.V, w1, ue, vf]) x.Return();
        return (u, sigma, v);
    }

    /// <summary>
    /// Solves the merged problem M (standard form), deflating first. Returns E and F (n×n) with the singular vectors of the
    /// merged B equal to diag(U₁, 1, U₂)·E and diag(W₁, W₂)·F (row index = block column), and the singular values.
    /// </summary>
    private static (Pooled E, Pooled F, double[] Sigma) Merge(double[] dm, double[] zm, int[] col, double alpha, double beta)
    {
        int n = dm.Length;
        var e = new Pooled(n, n);
        var f = new Pooled(n, n);
        var sigma = new double[n];
        double orgnrm = Math.Max(alpha, beta);
        for (int i = 1; i < n; i++) orgnrm = Math.Max(orgnrm, dm[i]);
        if (orgnrm == 0)
        {
            for (int i = 0; i < n; i++) { e[i, i] = 1; f[i, i] = 1; }
            return (e, f, sigma);
        }
        for (int i = 0; i < n; i++) { dm[i] /= orgnrm; zm[i] /= orgnrm; }
        double tol = 8 * MachineEpsilon.Double * Math.Max(Math.Max(alpha, beta) / orgnrm, MaxOf(dm));

        var sorted = Enumerable.Range(1, n - 1).OrderBy(i => dm[i]).ThenBy(i => i).ToArray();
        var keep = new List<int>(n) { 0 };
        var deflated = new List<int>();
        var rotations = new List<(int P, int Q, double C, double S)>();
        if (Math.Abs(zm[0]) <= tol) zm[0] = tol;
        int prev = -1;
        foreach (int p in sorted)
        {
            if (Math.Abs(zm[p]) <= tol) { deflated.Add(p); continue; }
            if (prev >= 0 && dm[p] - dm[prev] <= tol)
            {
                // Nearly equal poles: one rotation G on both sides (columns prev, p of the block matrices) moves z_prev
                // into z_p, changing M by at most tol; prev deflates.
                double r = double.Hypot(zm[prev], zm[p]);
                rotations.Add((col[prev], col[p], zm[p] / r, zm[prev] / r));
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
        var umat = new Pooled(kk, kk);
        var vmat = new Pooled(kk, kk);
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
        for (int i = 0; i < kk; i++)
        {
            umat.Row(i).CopyTo(e.Row(col[keep[i]])[..kk]);
            vmat.Row(i).CopyTo(f.Row(col[keep[i]])[..kk]);
        }
        umat.Return();
        vmat.Return();
        for (int t = 0; t < deflated.Count; t++)
        {
            int p = deflated[t], j = kk + t;
            sigma[j] = dm[p];
            e[col[p], j] = 1;
            f[col[p], j] = 1;
        }
        // The block matrices were (virtually) rotated by G₁, G₂, …: U = blocks·G₁·G₂·…·E, so E ← G₁·(G₂·(…·E)).
        for (int t = rotations.Count - 1; t >= 0; t--)
        {
            var (a, b, c, s) = rotations[t];
            RotateRows(e, a, b, c, s);
            RotateRows(f, a, b, c, s);
        }
        for (int i = 0; i < n; i++) sigma[i] *= orgnrm;
        return (e, f, sigma);
    }

    /// <summary>G·X for the column rotation G (new column a = c·a − s·b, new b = s·a + c·b): row a ← c·row a + s·row b, row b ← −s·row a + c·row b.</summary>
    private static void RotateRows(Pooled x, int a, int b, double c, double s)
    {
        var ra = x.Row(a);
        var rb = x.Row(b);
        for (int j = 0; j < ra.Length; j++)
        {
            double p = ra[j], q = rb[j];
            ra[j] = c * p + s * q;
            rb[j] = -s * p + c * q;
        }
    }

    private static double MaxOf(double[] x)
    {
        double m = 0;
        foreach (double v in x) m = Math.Max(m, Math.Abs(v));
        return m;
    }

    /// <summary>
    /// For 0 = d₀ &lt; d₁ &lt; … &lt; d_{K−1} (gaps above the deflation tolerance) and zᵢ ≠ 0: the roots σⱼ of the secular
    /// equation, the Löwner ẑ, and the singular vectors of M as the columns of <paramref name="umat"/> and <paramref name="vmat"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SecularVectors(double[] d, double[] z, double[] sigma, Pooled umat, Pooled vmat)
    {
        int kk = d.Length;
        var pole = new double[kk];   // d at the origin of root j
        var tau = new double[kk];    // σⱼ − pole j
        double zz = 0;
        foreach (double v in z) zz += v * v;
        for (int j = 0; j < kk; j++)
        {
            (int origin, tau[j]) = SecularRoot(d, z, j, zz);
            pole[j] = d[origin];
            sigma[j] = pole[j] + tau[j];
        }
        // Row i of vmat first holds Δᵢⱼ = dᵢ² − σⱼ² = ((dᵢ − pole j) − τⱼ)·(dᵢ + σⱼ), without cancellation.
        var ratio = new double[kk];
        var zh = new double[kk];
        for (int i = 0; i < kk; i++)
        {
            var delta = vmat.Row(i);
            DeltaRow(d[i], pole, tau, sigma, delta);
            // Löwner: ẑᵢ² = (σ_{K−1}² − dᵢ²)·Π_{j<i} (σⱼ² − dᵢ²)/(dⱼ² − dᵢ²)·Π_{i≤j<K−1} (σⱼ² − dᵢ²)/(d_{j+1}² − dᵢ²):
            // each factor is a ratio of neighbours, so the running product neither overflows nor underflows.
            double di = d[i];
            for (int j = 0; j < i; j++) ratio[j] = (di - d[j]) * (di + d[j]);
            for (int j = i; j < kk - 1; j++) ratio[j] = (di - d[j + 1]) * (di + d[j + 1]);
            double prod = -delta[kk - 1];
            for (int j = 0; j < kk - 1; j++) prod *= delta[j] / ratio[j];
            zh[i] = Math.CopySign(Math.Sqrt(Math.Abs(prod)), z[i]);
        }
        // vⱼ ∝ (ẑᵢ/Δᵢⱼ)ᵢ,  uⱼ ∝ (−1, dᵢ·ẑᵢ/Δᵢⱼ), normalized; rows are walked so every inner loop is contiguous.
        var vn = new double[kk];
        var un = new double[kk];
        Array.Fill(un, 1.0);
        for (int i = 0; i < kk; i++)
        {
            var vr = vmat.Row(i);
            var ur = umat.Row(i);
            double zi = zh[i], di = d[i];
            for (int j = 0; j < kk; j++)
            {
                double t = zi / vr[j];
                vr[j] = t;
                vn[j] += t * t;
                double ut = i == 0 ? -1 : di * t;
                ur[j] = ut;
                if (i > 0) un[j] += ut * ut;
            }
        }
        for (int j = 0; j < kk; j++) { vn[j] = 1 / Math.Sqrt(vn[j]); un[j] = 1 / Math.Sqrt(un[j]); }
        for (int i = 0; i < kk; i++)
        {
            var vr = vmat.Row(i);
            var ur = umat.Row(i);
            for (int j = 0; j < kk; j++) { vr[j] *= vn[j]; ur[j] *= un[j]; }
        }
    }

    /// <summary>Δⱼ = ((dᵢ − poleⱼ) − τⱼ)·(dᵢ + σⱼ) for every j.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void DeltaRow(double di, ReadOnlySpan<double> pole, ReadOnlySpan<double> tau, ReadOnlySpan<double> sigma, Span<double> delta)
    {
        int n = delta.Length, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vd = new Vector<double>(di);
            for (; j <= n - Vector<double>.Count; j += Vector<double>.Count)
            {
                var p = new Vector<double>(pole[j..]);
                var t = new Vector<double>(tau[j..]);
                var s = new Vector<double>(sigma[j..]);
                ((vd - p - t) * (vd + s)).CopyTo(delta[j..]);
            }
        }
        for (; j < n; j++) delta[j] = ((di - pole[j]) - tau[j]) * (di + sigma[j]);
    }

    /// <summary>Σᵢ zᵢ²/Δᵢ and Σᵢ zᵢ²/Δᵢ² over the given range, Δᵢ = ((dᵢ − d_K) − τ)·(dᵢ + σ), σ = d_K + τ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double Sum, double Derivative) SecularSums(ReadOnlySpan<double> d, ReadOnlySpan<double> z, double dk, double tau)
    {
        int n = d.Length, i = 0;
        double sum = 0, dsum = 0, sigma = dk + tau;
        if (Vector.IsHardwareAccelerated && n >= Vector<double>.Count)
        {
            var vk = new Vector<double>(dk);
            var vt = new Vector<double>(tau);
            var vs = new Vector<double>(sigma);
            Vector<double> acc = Vector<double>.Zero, dacc = Vector<double>.Zero;
            for (; i <= n - Vector<double>.Count; i += Vector<double>.Count)
            {
                var dv = new Vector<double>(d[i..]);
                var zv = new Vector<double>(z[i..]);
                var t = zv / ((dv - vk - vt) * (dv + vs));
                acc += zv * t;
                dacc += t * t;
            }
            sum = Vector.Sum(acc);
            dsum = Vector.Sum(dacc);
        }
        for (; i < n; i++)
        {
            double t = z[i] / (((d[i] - dk) - tau) * (d[i] + sigma));
            sum += z[i] * t;
            dsum += t * t;
        }
        return (sum, dsum);
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
            var (f0, _) = SecularSums(d, z, mid, 0);
            if (1 + f0 >= 0) { origin = j; lo = 0; hi = mid - d[j]; }
            else { origin = j + 1; lo = mid - d[j + 1]; hi = 0; }
        }
        double dk = d[origin];
        double tau = 0.5 * (lo + hi);
        double sqrtK = Math.Sqrt(kk);
        for (int iter = 0; iter < 200; iter++)
        {
            double sigma = dk + tau;
            // ψ: poles at or below d_j (negative terms), φ: poles above (positive terms).
            var (psi, dpsi) = SecularSums(d.AsSpan(0, j + 1), z.AsSpan(0, j + 1), dk, tau);
            var (phi, dphi) = last ? (0.0, 0.0) : SecularSums(d.AsSpan(j + 1), z.AsSpan(j + 1), dk, tau);
            double w = 1 + psi + phi;
            if (Math.Abs(w) <= 10 * MachineEpsilon.Double * (1 + phi - psi) * sqrtK) break;
            if (w < 0) lo = tau; else hi = tau;
            if (hi - lo <= 2 * MachineEpsilon.Double * Math.Max(Math.Abs(lo), Math.Abs(hi))) { tau = 0.5 * (lo + hi); break; }
            double a = ((d[j] - dk) - tau) * (d[j] + sigma);
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
                double b = ((d[j + 1] - dk) - tau) * (d[j + 1] + sigma);
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
    private static (Pooled U, double[] Sigma, Pooled V) Leaf(double[] d, double[] e)
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
        var v = new Pooled(n, n);
        var missing = new List<int>();
        for (int j = 0; j < n; j++)
        {
            sigma[j] = Dense.Norm2(yt.Row(j));
            for (int i = 0; i < n; i++) v[i, j] = jt[j, i];
            if (sigma[j] == 0) { missing.Add(j); continue; }
            for (int i = 0; i < n; i++) u[i, j] = yt[j, i] / sigma[j];
        }
        Svd.CompleteOrthonormalColumns(u, missing);
        var up = new Pooled(n, n);
        u.Data.CopyTo(up.Data, 0);
        return (up, sigma, v);
    }

    /// <summary>
    /// A row-major scratch matrix on an array rented from the shared pool: every level of the recursion needs several n×n
    /// temporaries, and as fresh arrays they land on the large-object heap, whose collections cost more than the arithmetic.
    /// </summary>
    private readonly struct Pooled
    {
        public Pooled(int rows, int columns)
        {
            Rows = rows;
            Columns = columns;
            Data = ArrayPool<double>.Shared.Rent(Math.Max(1, rows * columns));
            Data.AsSpan(0, rows * columns).Clear();
        }

        public double[] Data { get; }

        public int Rows { get; }

        public int Columns { get; }

        public ref double this[int i, int j] => ref Data[i * Columns + j];

        public Span<double> Row(int i) => Data.AsSpan(i * Columns, Columns);

        public MatrixSpan<double> Span => new(Data, 0, Rows, Columns, Columns, 1);

        public ReadOnlyMatrixSpan<double> ReadOnlySpan => new(Data, 0, Rows, Columns, Columns, 1);

        public void Return() => ArrayPool<double>.Shared.Return(Data);
    }
}
