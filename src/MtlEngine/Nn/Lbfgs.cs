using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>What one <see cref="Lbfgs{T}.Minimize"/> call did.</summary>
/// <param name="Loss">The final loss.</param>
/// <param name="Iterations">Quasi-Newton iterations taken.</param>
/// <param name="Evaluations">Loss-and-gradient evaluations (line search included).</param>
/// <param name="Converged">True when the gradient's max-norm fell below the tolerance (or the loss stopped changing).</param>
public sealed record LbfgsResult(double Loss, int Iterations, int Evaluations, bool Converged);

/// <summary>
/// Limited-memory BFGS (Liu &amp; Nocedal 1989; Nocedal &amp; Wright, Algorithm 7.4) over all parameters as one vector:
/// the direction d = −H·g from the two-loop recursion over the last m pairs (sₖ = Δx, yₖ = Δg), with the initial
/// scaling γ = sᵀy / yᵀy, and a backtracking line search on the Armijo condition f(x + t·d) ≤ f(x) + c₁·t·gᵀd
/// (t starts at the learning rate, halves on failure). Pairs with sᵀy ≤ 0 are skipped, which keeps H positive definite.
/// Works in double whatever <typeparamref name="T"/> is.
/// </summary>
public sealed class Lbfgs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IReadOnlyList<MtlTensor<T>> _parameters;
    private readonly List<(double[] S, double[] Y, double Rho)> _history = [];

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters (contiguous leaves).</param>
    /// <param name="learningRate">The first step length tried by the line search (1 is the natural quasi-Newton step).</param>
    /// <param name="historySize">m, the number of correction pairs kept.</param>
    public Lbfgs(IEnumerable<MtlTensor<T>> parameters, double learningRate = 1, int historySize = 10)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToList();
        ArgumentOutOfRangeException.ThrowIfLessThan(historySize, 1);
        LearningRate = learningRate;
        HistorySize = historySize;
    }

    /// <summary>The first step length of each line search.</summary>
    public double LearningRate { get; }

    /// <summary>m.</summary>
    public int HistorySize { get; }

    /// <summary>
    /// Minimizes the loss that <paramref name="closure"/> computes. The closure must zero the gradients, compute the
    /// loss from the parameters, call Backward and return the loss (PyTorch's closure convention).
    /// </summary>
    /// <param name="closure">Loss and gradients at the current parameters.</param>
    /// <param name="maxIterations">The most quasi-Newton iterations.</param>
    /// <param name="gradientTolerance">Stop when max |gᵢ| ≤ this.</param>
    /// <param name="maxLineSearch">The most halvings per line search.</param>
    public LbfgsResult Minimize(Func<MtlTensor<T>> closure, int maxIterations = 100, double gradientTolerance = 1e-7, int maxLineSearch = 30)
    {
        ArgumentNullException.ThrowIfNull(closure);
        const double c1 = 1e-4;
        int evaluations = 0;
        double Evaluate(double[] gradient)
        {
            evaluations++;
            double loss = double.CreateChecked(closure().Item());
            Gather(gradient, fromGrad: true);
            return loss;
        }

        int n = _parameters.Sum(p => p.Length);
        var x = new double[n];
        var g = new double[n];
        var d = new double[n];
        var xNew = new double[n];
        var gNew = new double[n];
        Gather(x, fromGrad: false);
        double f = Evaluate(g);
        int iteration = 0;
        bool converged = MaxAbs(g) <= gradientTolerance;
        while (!converged && iteration < maxIterations)
        {
            iteration++;
            Direction(g, d);
            double slope = Dot(g, d);
            if (slope >= 0)
            {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                _history.Clear();
                for (int i = 0; i < n; i++) d[i] = -g[i];
                slope = -Dot(g, g);
            }
            double t = iteration == 1 && _history.Count == 0 ? Math.Min(1, 1 / Math.Max(1e-12, SumAbs(g))) * LearningRate : LearningRate;
            double fNew = double.NaN;
            bool accepted = false;
            for (int k = 0; k < maxLineSearch; k++, t *= 0.5)
            {
                for (int i = 0; i < n; i++) xNew[i] = x[i] + t * d[i];
                Scatter(xNew);
                fNew = Evaluate(gNew);
                if (fNew <= f + c1 * t * slope) { accepted = true; break; }
            }
            if (!accepted)
            {
                Scatter(x);
                Evaluate(g);
                break;
            }
            var s = new double[n];
            var y = new double[n];
            for (int i = 0; i < n; i++) { s[i] = xNew[i] - x[i]; y[i] = gNew[i] - g[i]; }
            double sy = Dot(s, y);
            if (sy > 1e-10)
            {
                if (_history.Count == HistorySize) _history.RemoveAt(0);
                _history.Add((s, y, 1 / sy));
            }
            Array.Copy(xNew, x, n);
            Array.Copy(gNew, g, n);
            bool stalled = Math.Abs(f - fNew) <= 1e-15 * Math.Max(1, Math.Abs(f));
            f = fNew;
            converged = MaxAbs(g) <= gradientTolerance || stalled;
        }
        return new LbfgsResult(f, iteration, evaluations, converged);
    }

    /// <summary>d = −H·g by the two-loop recursion.</summary>
    private void Direction(double[] g, double[] d)
    {
        int n = g.Length, m = _history.Count;
        for (int i = 0; i < n; i++) d[i] = -g[i];
        var alpha = new double[m];
        for (int k = m - 1; k >= 0; k--)
        {
            var (s, y, rho) = _history[k];
            alpha[k] = rho * Dot(s, d);
            for (int i = 0; i < n; i++) d[i] -= alpha[k] * y[i];
        }
        if (m > 0)
        {
            var (s, y, _) = _history[m - 1];
            double gamma = Dot(s, y) / Dot(y, y);
            for (int i = 0; i < n; i++) d[i] *= gamma;
        }
        for (int k = 0; k < m; k++)
        {
            var (s, y, rho) = _history[k];
            double beta = rho * Dot(y, d);
            for (int i = 0; i < n; i++) d[i] += (alpha[k] - beta) * s[i];
        }
    }

    private void Gather(double[] target, bool fromGrad)
    {
        int at = 0;
        foreach (var p in _parameters)
        {
            if (fromGrad && p.Grad is null) { Array.Clear(target, at, p.Length); at += p.Length; continue; }
            var source = fromGrad ? p.Grad!.Contiguous().ToArray() : p.ToArray();
            for (int i = 0; i < source.Length; i++) target[at + i] = double.CreateChecked(source[i]);
            at += source.Length;
        }
    }

    private void Scatter(double[] source)
    {
        int at = 0;
        foreach (var p in _parameters)
        {
            var span = p.AsSpan();
            for (int i = 0; i < span.Length; i++) span[i] = T.CreateChecked(source[at + i]);
            at += span.Length;
        }
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double MaxAbs(double[] a) => a.Length == 0 ? 0 : a.Max(Math.Abs);

    private static double SumAbs(double[] a) => a.Sum(Math.Abs);
}
