using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// Equal weighting (<c>mean</c>): the mean of the task gradients, D = (1/T)·Σₜ gₜ, with weights W = 1/T. Linear scalarization
/// with equal weights: the baseline every other aggregator is compared against (LibMTL's EW, up to the factor T of a sum).
/// </summary>
public sealed class MeanAggregator : GradientAggregator
{
    /// <inheritdoc/>
    public override string Name => "mean";

    /// <inheritdoc/>
    protected override AggregationResult AggregateCore(DenseMatrix jacobian, double[]? losses)
    {
        var weights = Enumerable.Repeat(1.0 / jacobian.Rows, jacobian.Rows).ToArray();
        return new AggregationResult(Gramian.Combine(jacobian, weights), weights);
    }
}
