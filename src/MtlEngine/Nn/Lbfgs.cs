using System.Numerics;
using MtlEngine.Learn.Optimization;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>What one <see cref="Lbfgs{T}.Minimize"/> call did.</summary>
/// <param name="Loss">The final loss.</param>
/// <param name="Iterations">Quasi-Newton iterations taken.</param>
/// <param name="Evaluations">Loss-and-gradient evaluations (line search included).</param>
/// <param name="Converged">True when the gradient's max-norm fell below the tolerance (or the loss stopped changing).</param>
public sealed record LbfgsResult(double Loss, int Iterations, int Evaluations, bool Converged);

/// <summary>
/// Limited-memory BFGS over all parameters as one float64 vector, with PyTorch's closure convention. The algorithm is
/// the engine's one L-BFGS, <see cref="Learn.Optimization.Lbfgs"/> (two-loop recursion over the last m pairs, the
/// Moré–Thuente line search, L-BFGS-B's stopping rules); this class only gathers the parameters and their gradients
/// into vectors and scatters trial points back. Works in double whatever <typeparamref name="T"/> is.
/// </summary>
public sealed class Lbfgs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly IReadOnlyList<MtlTensor<T>> _parameters;

    /// <summary>Creates the optimizer.</summary>
    /// <param name="parameters">The parameters (contiguous leaves).</param>
    /// <param name="historySize">m, the number of correction pairs kept.</param>
    public Lbfgs(IEnumerable<MtlTensor<T>> parameters, int historySize = 10)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        _parameters = parameters.ToList();
        ArgumentOutOfRangeException.ThrowIfLessThan(historySize, 1);
        HistorySize = historySize;
    }

    /// <summary>m.</summary>
    public int HistorySize { get; }

    /// <summary>
    /// Minimizes the loss that <paramref name="closure"/> computes. The closure must zero the gradients, compute the
    /// loss from the parameters, call Backward and return the loss (PyTorch's closure convention). On return the
    /// parameters hold the final point.
    /// </summary>
    /// <param name="closure">Loss and gradients at the current parameters.</param>
    /// <param name="maxIterations">The most quasi-Newton iterations.</param>
    /// <param name="gradientTolerance">Stop when max |gᵢ| ≤ this.</param>
    /// <param name="maxLineSearch">The most evaluations per line search.</param>
    public LbfgsResult Minimize(Func<MtlTensor<T>> closure, int maxIterations = 100, double gradientTolerance = 1e-7, int maxLineSearch = 30)
    {
        ArgumentNullException.ThrowIfNull(closure);
        var objective = new ClosureObjective(this, closure);
        var x0 = new double[objective.Dimension];
        Gather(x0, fromGrad: false);
        // The loss may stop changing before the gradient is small (a flat valley in float32): a relative reduction of
        // 1e-15 stops it then, L-BFGS-B's factr·ε (2.2e-9) would stop far from the minimum.
        var result = Learn.Optimization.Lbfgs.Minimize(objective, x0, new LbfgsOptions(
            Memory: HistorySize, MaxIterations: maxIterations, GradientTolerance: gradientTolerance,
            RelativeReductionTolerance: 1e-15, MaxLineSearchSteps: maxLineSearch));
        Scatter(result.X);
        return new LbfgsResult(result.Value, result.Iterations, result.Evaluations, result.Converged);
    }

    /// <summary>f(x) = the closure's loss with the parameters set to x; ∇f the parameters' gradients.</summary>
    private sealed class ClosureObjective(Lbfgs<T> owner, Func<MtlTensor<T>> closure) : ISmoothObjective
    {
        public int Dimension { get; } = owner._parameters.Sum(p => p.Length);

        public double Evaluate(ReadOnlySpan<double> x, Span<double> gradient)
        {
            owner.Scatter(x);
            double loss = double.CreateChecked(closure().Item());
            owner.Gather(gradient, fromGrad: true);
            return loss;
        }
    }

    private void Gather(Span<double> target, bool fromGrad)
    {
        int at = 0;
        foreach (var p in _parameters)
        {
            if (fromGrad && p.Grad is null) { target.Slice(at, p.Length).Clear(); at += p.Length; continue; }
            var source = fromGrad ? p.Grad!.Contiguous().ToArray() : p.ToArray();
            for (int i = 0; i < source.Length; i++) target[at + i] = double.CreateChecked(source[i]);
            at += source.Length;
        }
    }

    private void Scatter(ReadOnlySpan<double> source)
    {
        int at = 0;
        foreach (var p in _parameters)
        {
            var span = p.AsSpan();
            for (int i = 0; i < span.Length; i++) span[i] = T.CreateChecked(source[at + i]);
            at += span.Length;
        }
    }
}
