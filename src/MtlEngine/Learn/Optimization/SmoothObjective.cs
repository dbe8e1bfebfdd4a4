namespace MtlEngine.Learn.Optimization;

/// <summary>
/// A smooth objective f: ℝⁿ → ℝ for the float64 optimizers (<see cref="Lbfgs"/>, <see cref="NewtonCg"/>): one call gives
/// the value and the gradient at a point, since both come from the same pass over the data.
/// </summary>
public interface ISmoothObjective
{
    /// <summary>n, the number of variables.</summary>
    int Dimension { get; }

    /// <summary>Returns f(x) and writes ∇f(x) into <paramref name="gradient"/> (length <see cref="Dimension"/>).</summary>
    double Evaluate(ReadOnlySpan<double> x, Span<double> gradient);
}

/// <summary>
/// A smooth objective with Hessian-vector products, for <see cref="NewtonCg"/>. <see cref="SetHessianPoint"/> fixes the point
/// x at which <see cref="HessianVector"/> applies ∇²f(x); value-and-gradient calls in between (line searches) leave it alone.
/// </summary>
public interface ISecondOrderObjective : ISmoothObjective
{
    /// <summary>Writes ∇f(x) into <paramref name="gradient"/> and makes x the point of later <see cref="HessianVector"/> calls.</summary>
    void SetHessianPoint(ReadOnlySpan<double> x, Span<double> gradient);

    /// <summary>result = ∇²f(x)·v at the point of the last <see cref="SetHessianPoint"/>.</summary>
    void HessianVector(ReadOnlySpan<double> v, Span<double> result);
}

/// <summary>Where an optimizer stopped and why.</summary>
/// <param name="X">The final point.</param>
/// <param name="Value">f at <paramref name="X"/>.</param>
/// <param name="GradientMaxNorm">max |∂f/∂xᵢ| at <paramref name="X"/> (the projected-gradient norm of L-BFGS-B without bounds).</param>
/// <param name="Iterations">Completed iterations (accepted steps).</param>
/// <param name="Evaluations">Value-and-gradient evaluations.</param>
/// <param name="Converged">True when a convergence test (gradient or relative reduction) ended the run.</param>
/// <param name="Message">Why it stopped, in the words of SciPy's L-BFGS-B where they apply.</param>
public sealed record OptimizationResult(double[] X, double Value, double GradientMaxNorm, int Iterations, int Evaluations, bool Converged, string Message);
