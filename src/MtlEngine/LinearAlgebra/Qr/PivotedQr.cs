using MtlEngine.Kernels;
using MtlEngine.Tensors;

namespace MtlEngine.LinearAlgebra;

/// <summary>
/// QR with column pivoting, A·P = Q·R (Businger–Golub; LAPACK's geqpf): at step j the remaining column with the largest
/// norm is moved to position j before its reflector is made, so |r₀₀| ≥ |r₁₁| ≥ … and the numerical rank shows on R's
/// diagonal. Column norms are downdated, ‖a_c‖² ← ‖a_c‖² − r_jc², and recomputed when cancellation has eaten
/// their accuracy. Unblocked (level 2). Least squares returns the basic solution (zeros in the last n − rank pivoted
/// coordinates), which solves rank-deficient problems; the minimum-norm solution is the SVD's.
/// </summary>
public sealed class PivotedQr
{
    private readonly Qr _qr;

    private PivotedQr(Qr qr, int[] permutation)
    {
        _qr = qr;
        Permutation = permutation;
    }

    /// <summary>Column j of A·P is column <c>Permutation[j]</c> of A.</summary>
    public int[] Permutation { get; }

    /// <summary>R on and above the diagonal, the Householder vectors below, of A·P; shape (m, n).</summary>
    public DenseMatrix Factors => _qr.Factors;

    /// <summary>The upper-triangular R of shape (min(m, n), n), with non-increasing |rᵢᵢ|.</summary>
    public DenseMatrix R => _qr.R;

    /// <summary>The thin Q of shape (m, min(m, n)).</summary>
    public DenseMatrix ThinQ() => _qr.ThinQ();

    /// <summary>Factors A (not changed).</summary>
    public static PivotedQr Factor(DenseMatrix a, Parallelism parallelism = default)
    {
        ArgumentNullException.ThrowIfNull(a);
        var f = a.Clone();
        int m = f.Rows, n = f.Columns, k = Math.Min(m, n);
        var perm = new int[n];
        for (int j = 0; j < n; j++) perm[j] = j;
        var norms = new double[n];
        var exact = new double[n];
        for (int c = 0; c < n; c++)
        {
            double s = 0;
            for (int i = 0; i < m; i++) s += f[i, c] * f[i, c];
            norms[c] = exact[c] = Math.Sqrt(s);
        }
        var tau = new double[k];
        var work = new double[Math.Max(n, 1)];
        var span = f.Span;
        double tol3z = Math.Sqrt(2.220446049250313e-16);
        for (int j = 0; j < k; j++)
        {
            int p = j;
            for (int c = j + 1; c < n; c++) if (norms[c] > norms[p]) p = c;
            if (p != j)
            {
                for (int i = 0; i < m; i++) (f[i, j], f[i, p]) = (f[i, p], f[i, j]);
                (perm[j], perm[p]) = (perm[p], perm[j]);
                (norms[j], norms[p]) = (norms[p], norms[j]);
                (exact[j], exact[p]) = (exact[p], exact[j]);
            }
            tau[j] = Householder.MakeReflector(span, j, j);
            Householder.ApplyReflectorToColumns(span, j, j, tau[j], j + 1, n, work);
            for (int c = j + 1; c < n; c++)
            {
                if (norms[c] == 0) continue;
                double ratio = Math.Abs(f[j, c]) / norms[c];
                double t = Math.Max(0, 1 - ratio * ratio);
                double t2 = t * (norms[c] / exact[c]) * (norms[c] / exact[c]);
                if (t2 <= tol3z)
                {
                    double s = 0;
                    for (int i = j + 1; i < m; i++) s += f[i, c] * f[i, c];
                    norms[c] = exact[c] = Math.Sqrt(s);
                }
                else norms[c] *= Math.Sqrt(t);
            }
        }
        return new PivotedQr(new Qr(f, tau, parallelism, Qr.DefaultBlockSize), perm);
    }

    /// <summary>Factors a float64 tensor of shape (m, n).</summary>
    public static PivotedQr Factor(MtlTensor<double> a, Parallelism parallelism = default) => Factor(DenseMatrix.FromTensor(a), parallelism);

    /// <summary>
    /// The numerical rank: the number of |rᵢᵢ| above <paramref name="tolerance"/>·|r₀₀|
    /// (default max(m, n)·ε, as NumPy's matrix_rank uses for singular values).
    /// </summary>
    public int Rank(double? tolerance = null)
    {
        int k = Math.Min(Factors.Rows, Factors.Columns);
        if (k == 0) return 0;
        double tol = (tolerance ?? Math.Max(Factors.Rows, Factors.Columns) * 2.220446049250313e-16) * Math.Abs(Factors[0, 0]);
        int r = 0;
        while (r < k && Math.Abs(Factors[r, r]) > tol) r++;
        return r;
    }

    /// <summary>
    /// The basic least-squares solution of A·X ≈ B (B of shape (m, r)): with rank ρ, solve R₁₁·y = (Qᵀ·B)[0..ρ],
    /// set the other n − ρ coordinates to zero and undo the column permutation.
    /// </summary>
    public DenseMatrix LeastSquares(DenseMatrix b, double? tolerance = null)
    {
        var qtb = _qr.TransposeQTimes(b);
        int rank = Rank(tolerance), n = Factors.Columns;
        var y = qtb.SliceRows(0, rank);
        TriangularSolve.Upper(Dense.Sub(Factors, 0, 0, rank, rank), y.Span);
        var x = new DenseMatrix(n, b.Columns);
        for (int j = 0; j < rank; j++) y.Row(j).CopyTo(x.Row(Permutation[j]));
        return x;
    }

    /// <summary>Q·R·Pᵀ, which equals A up to rounding.</summary>
    public DenseMatrix Reconstruct()
    {
        var ap = _qr.Reconstruct();
        var a = new DenseMatrix(ap.Rows, ap.Columns);
        for (int i = 0; i < ap.Rows; i++)
            for (int j = 0; j < ap.Columns; j++) a[i, Permutation[j]] = ap[i, j];
        return a;
    }
}
