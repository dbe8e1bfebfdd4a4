using System.Buffers;
using System.Numerics.Tensors;
using MtlEngine.Kernels;
using MtlEngine.Learn.Optimization;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Learn;

/// <summary>
/// scikit-learn 1.2's objective for <c>LogisticRegression(solver="lbfgs" | "newton-cg")</c> over θ = (W, b), W of shape
/// (k, d) row-major followed by the k intercepts:
/// <code>
/// f(θ) = Σᵢ sᵢ·ℓᵢ + ½·λ·‖W‖²,   λ = 1/C        (the same minimizer as C·Σᵢ sᵢ·ℓᵢ + ½‖W‖²; b is not penalized)
/// z_i = W·xᵢ + b
/// multinomial (k = n_classes ≥ 3):  ℓᵢ = logsumexp(z_i) − z_{i,yᵢ}        ∂ℓᵢ/∂z_i = softmax(z_i) − e_{yᵢ}
/// binary (k = 1, yᵢ ∈ {0, 1}):       ℓᵢ = log(1 + e^{zᵢ}) − yᵢ·zᵢ          ∂ℓᵢ/∂zᵢ = σ(zᵢ) − yᵢ
/// ∇_W f = Gᵀ·X + λ·W,  ∇_b f = Σᵢ G_i,   G_i = sᵢ·∂ℓᵢ/∂z_i
/// </code>
/// The two products are one GEMM each (<see cref="DesignMatrix"/>); log-sum-exp subtracts the row maximum and the binary
/// loss is written log1p(e^{−|z|}) + max(z, 0) − y·z, so neither overflows. Hessian-vector products (Newton-CG):
/// <code>
/// R = X·Vᵀ + v_b;  multinomial T_ik = sᵢ·p_ik·(R_ik − Σ_l p_il·R_il);  binary T_i = sᵢ·pᵢ(1 − pᵢ)·R_i
/// ∇²f·v = (Tᵀ·X + λ·V,  Σᵢ T_i)
/// </code>
/// Rows are processed in fixed chunks of 1024 spread over the threads, and the chunk losses summed in order, so the value
/// does not depend on the thread count. The per-row buffers (_z, P, R and three of length n) are rented from the shared
/// array pool for one fit and returned on <see cref="Dispose"/>: a fit called again reuses memory already mapped instead
/// of faulting in fresh pages (which costs more than the arithmetic on them).
/// </summary>
internal sealed class LogisticLoss : ISecondOrderObjective, IDisposable
{
    private readonly DesignMatrix _x;
    private readonly int[] _y;           // class index 0..K−1 (binary: 0 or 1)
    private readonly double[] _s;        // per-sample weight (sample weight × class weight)
    private readonly int _k;             // rows of W: 1 (binary) or n_classes
    private readonly bool _multinomial;
    private readonly bool _fitIntercept;
    private readonly double _lambda;
    private readonly Parallelism _parallelism;
    private readonly int _n, _d;
    // Pooled, so possibly longer than needed (every use is sliced to its length); empty after Dispose.
    private double[] _z;                 // (n, k) linear predictor, then ∂ℓ/∂z·s
    private double[] _rowTerm;           // per-row scratch
    private double[] _rowMax;            // per-row maximum of z
    private double[] _rowZy;             // per-row z_{i,yᵢ}
    private double[]? _p;                // (n, k) probabilities at the Hessian point (rented by the first SetHessianPoint)
    private double[]? _r;                // (n, k) X·Vᵀ + v_b of a Hessian-vector product (rented by the first one)
    private readonly double[] _chunkLoss;

    public LogisticLoss(DesignMatrix x, int[] y, double[] sampleWeight, int classes, bool fitIntercept, double lambda, Parallelism parallelism)
    {
        _x = x;
        _y = y;
        _s = sampleWeight;
        _multinomial = classes > 2;
        _k = _multinomial ? classes : 1;
        _fitIntercept = fitIntercept;
        _lambda = lambda;
        _n = x.Rows;
        _d = x.Columns;
        // Threads only pay when an evaluation has enough work: below MinimumParallelWork multiply-adds per product, a
        // fork-join per GEMM and per row pass costs more than it saves (digits: 1.2M, the synthetic benchmark: 51M).
        _parallelism = (long)_n * _d * (_multinomial ? classes : 1) >= MinimumParallelWork ? parallelism : Parallelism.Sequential;
        _z = Rent(_n * _k);
        _rowTerm = Rent(_n);
        _rowMax = Rent(_n);
        _rowZy = Rent(_n);
        _chunkLoss = new double[Chunks];
    }

    /// <summary>Multiply-adds in X·Wᵀ below which an evaluation runs on one thread (the result is the same either way).</summary>
    public const long MinimumParallelWork = ParallelThresholds.LogisticMultiplyAdds;

    /// <summary>k: 1 for a binary problem, else the number of classes.</summary>
    public int CoefficientRows => _k;

    public int Dimension => _k * (_d + (_fitIntercept ? 1 : 0));

    // Rows go in fixed chunks of ChunkRows whatever the thread count, and the chunk losses are summed in chunk order:
    // with the GEMM's fixed partition, the fit is bitwise the same for any number of threads.
    private const int ChunkRows = 1024;

    private int Chunks => Math.Max((_n + ChunkRows - 1) / ChunkRows, 1);

    private double[] P => _p ?? throw new InvalidOperationException("HessianVector needs a SetHessianPoint first.");

    private static double[] Rent(int length) => ArrayPool<double>.Shared.Rent(Math.Max(length, 1));

    /// <summary>Returns the pooled buffers; the loss cannot be evaluated afterwards.</summary>
    public void Dispose()
    {
        foreach (var buffer in new[] { _z, _rowTerm, _rowMax, _rowZy, _p, _r })
            if (buffer is { Length: > 0 }) ArrayPool<double>.Shared.Return(buffer);
        _z = _rowTerm = _rowMax = _rowZy = [];
        _p = _r = null;
    }

    public double Evaluate(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        var w = theta[..(_k * _d)];
        LinearPredictor(theta, _z);
        // Per-row losses and ∂ℓ/∂z (scaled by sᵢ) in place of z.
        ForChunks((start, end, chunk) => _chunkLoss[chunk] = _multinomial
            ? MultinomialRows(start, end, keepProbabilities: false)
            : BinaryRows(start, end, keepProbabilities: false));
        double loss = 0;
        for (int c = 0; c < Chunks; c++) loss += _chunkLoss[c];
        loss += 0.5 * _lambda * Dense.Dot(w, w);
        Backward(_z, w, gradient);
        return loss;
    }

    public void SetHessianPoint(ReadOnlySpan<double> theta, Span<double> gradient)
    {
        var w = theta[..(_k * _d)];
        _p ??= Rent(_n * _k);
        LinearPredictor(theta, _z);
        ForChunks((start, end, chunk) => _chunkLoss[chunk] = _multinomial
            ? MultinomialRows(start, end, keepProbabilities: true)
            : BinaryRows(start, end, keepProbabilities: true));
        Backward(_z, w, gradient);
    }

    public void HessianVector(ReadOnlySpan<double> v, Span<double> result)
    {
        var vw = v[..(_k * _d)];
        var r = _r ??= Rent(_n * _k);
        var p = P;
        LinearPredictor(v, r);
        int k = _k;
        ForChunks((start, end, _) =>
        {
            for (int i = start; i < end; i++)
            {
                var ri = r.AsSpan(i * k, k);
                var pi = p.AsSpan(i * k, k);
                if (_multinomial)
                {
                    double mean = TensorPrimitives.Dot(pi, (ReadOnlySpan<double>)ri);
                    for (int c = 0; c < k; c++) ri[c] = _s[i] * pi[c] * (ri[c] - mean);
                }
                else
                {
                    ri[0] *= _s[i] * pi[0] * (1 - pi[0]);
                }
            }
        });
        Backward(r, vw, result);
    }

    /// <summary>z = X·Wᵀ + b for θ = (W, b), into the first n·k elements of <paramref name="buffer"/>.</summary>
    private void LinearPredictor(ReadOnlySpan<double> theta, double[] buffer)
    {
        var z = buffer.AsSpan(0, _n * _k);
        _x.TimesTransposed(theta[..(_k * _d)], _k, z, _parallelism);
        if (!_fitIntercept) return;
        var b = theta.Slice(_k * _d, _k);
        if (_k == 1)
        {
            TensorPrimitives.Add(z, b[0], z);
            return;
        }
        for (int i = 0, row = 0; i < _n; i++, row += _k)
            for (int c = 0; c < _k; c++) z[row + c] += b[c];
    }

    /// <summary>(Gᵀ·X + λ·W, Σᵢ G_i) for G (n, k) in the first n·k elements of <paramref name="g"/>.</summary>
    private void Backward(double[] g, ReadOnlySpan<double> w, Span<double> gradient)
    {
        var gw = gradient[..(_k * _d)];
        _x.TransposedTimes(g.AsSpan(0, _n * _k), _k, gw, _parallelism);
        TensorPrimitives.MultiplyAdd(w, _lambda, gw, gw);
        if (!_fitIntercept) return;
        var gb = gradient.Slice(_k * _d, _k);
        gb.Clear();
        for (int i = 0, row = 0; i < _n; i++, row += _k)
            for (int c = 0; c < _k; c++) gb[c] += g[row + c];
    }

    // ℓᵢ = log Σ_c e^{z_ic − mᵢ} − (z_{i,yᵢ} − mᵢ), mᵢ = max_c z_ic; z_i ← sᵢ·(softmax(z_i) − e_{yᵢ}).
    // The exponentials and logarithms are one SIMD pass each over the whole chunk; the per-row steps over k (≈ 10) values
    // are plain loops (a vector call per row of 10 costs more than the arithmetic).
    private double MultinomialRows(int start, int end, bool keepProbabilities)
    {
        int k = _k;
        var z = _z;
        var block = z.AsSpan(start * k, (end - start) * k);
        var sums = _rowTerm.AsSpan(start, end - start);
        var maxima = _rowMax.AsSpan(start, end - start);
        for (int i = start; i < end; i++)
        {
            int row = i * k;
            double m = z[row];
            for (int c = 1; c < k; c++) m = Math.Max(m, z[row + c]);
            maxima[i - start] = m;
            _rowZy[i] = z[row + _y[i]];
            for (int c = 0; c < k; c++) z[row + c] -= m;
        }
        TensorPrimitives.Exp(block, block);
        for (int i = start; i < end; i++)
        {
            int row = i * k;
            double sum = 0;
            for (int c = 0; c < k; c++) sum += z[row + c];
            sums[i - start] = sum;
            double si = _s[i];
            for (int c = 0; c < k; c++) z[row + c] /= sum;  // softmax
            if (keepProbabilities) Array.Copy(z, row, _p!, row, k);
            z[row + _y[i]] -= 1;
            for (int c = 0; c < k; c++) z[row + c] *= si;
        }
        TensorPrimitives.Log(sums, sums);
        // ℓᵢ = (log Σ + mᵢ) − z_{i,yᵢ}, in scikit-learn's order of operations.
        double loss = 0;
        for (int i = start; i < end; i++) loss += _s[i] * ((sums[i - start] + maxima[i - start]) - _rowZy[i]);
        return loss;
    }

    // ℓᵢ = log1p(e^{−|zᵢ|}) + max(zᵢ, 0) − yᵢ·zᵢ; zᵢ ← sᵢ·(σ(zᵢ) − yᵢ).
    private double BinaryRows(int start, int end, bool keepProbabilities)
    {
        var z = _z.AsSpan(start, end - start);
        var e = _rowTerm.AsSpan(start, end - start);
        TensorPrimitives.Abs(z, e);
        TensorPrimitives.Negate(e, e);
        TensorPrimitives.Exp(e, e);
        double loss = 0;
        for (int i = start; i < end; i++)
        {
            double zi = _z[i];
            loss += _s[i] * (Log1p(_rowTerm[i]) + Math.Max(zi, 0) - _y[i] * zi);
        }
        TensorPrimitives.Sigmoid(z, z);
        if (keepProbabilities) z.CopyTo(_p!.AsSpan(start, end - start));
        for (int i = start; i < end; i++) _z[i] = _s[i] * (_z[i] - _y[i]);
        return loss;
    }

    /// <summary>log(1 + x) accurate for small x (Goldberg's trick: log(u)·x/(u − 1) with u = 1 + x rounded).</summary>
    internal static double Log1p(double x)
    {
        double u = 1 + x;
        return u == 1 ? x : Math.Log(u) * x / (u - 1);
    }

    private void ForChunks(Action<int, int, int> body)
    {
        int chunks = Chunks;
        if (chunks == 1 || _parallelism.IsSequential)
        {
            for (int c = 0; c < chunks; c++) body(c * ChunkRows, Math.Min(_n, (c + 1) * ChunkRows), c);
            return;
        }
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = _parallelism.Degree }, c =>
            body(c * ChunkRows, Math.Min(_n, (c + 1) * ChunkRows), c));
    }
}
