using System.Numerics;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Gradient aggregation in training (LibMTL's gradient-balancing methods, TorchJD's "Jacobian descent"): any
/// <see cref="GradientAggregator"/> turned into a training strategy.
/// </summary>
/// <remarks>
/// <para><b>On the shared parameters</b> (default): one backward pass per task over the kept graph gives row t of the
/// Jacobian J = ∂(loss₁ … loss_T)/∂θ_shared (T × P, float64) and, in the same pass, task t's gradient on the task-specific
/// parameters. The aggregator maps J to the direction D; the shared parameters' Grad becomes D and each task-specific
/// parameter's Grad the sum Σₜ ∂lossₜ/∂θ of the task gradients (so a head gets its own task's gradient, as in LibMTL).
/// Cost: T backward passes, the aggregator (whose Gramian J·Jᵀ is its own), and one element-wise pass that writes D.</para>
/// <para><b>On the shared representation</b> (<c>rep_grad</c>, as LibMTL; Sener &amp; Koltun's MGDA-UB is MGDA so): the
/// Jacobian is taken with respect to the representations the heads read (<see cref="ModelOutput{T}.Representations"/>;
/// the distinct tensors among them, each of shape (n, d), per-sample gradients flattened, so J is T × Σ n·d). Each task's
/// backward pass stops at the representation, so it visits the heads alone; the aggregated D is then pushed back through
/// the shared part once, as the upstream gradient of the representation. The task-specific parameters get their own
/// task gradients as above. LibMTL sums the per-sample representation gradients over the batch before aggregating
/// (J of T × d); we keep them per sample, which is the Frobenius geometry of MGDA-UB's paper.</para>
/// <para>The conflict matrix of the epoch record is read off the same J (cosines between shared-parameter gradients, or
/// between representation gradients in <c>rep_grad</c> mode).</para>
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public sealed class AggregationStrategy<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private double[]? _jacobianBuffer; // last step's J, refilled by the next step (the aggregators keep no reference to J)

    /// <summary>Wraps <paramref name="aggregator"/>.</summary>
    /// <param name="aggregator">The aggregation method (for instance from <see cref="GradientAggregators.Create"/>).</param>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="representationGradients">Aggregate the gradients of the shared representation (<c>rep_grad</c>) instead of the shared parameters'.</param>
    /// <param name="name">The name for reports (default: the aggregator's; <c>mgda-ub</c> for MGDA on the representation).</param>
    public AggregationStrategy(GradientAggregator aggregator, IReadOnlyList<TaskSpec> tasks, bool representationGradients = false, string? name = null)
        : base(tasks, recordConflict: true)
    {
        ArgumentNullException.ThrowIfNull(aggregator);
        Aggregator = aggregator;
        RepresentationGradients = representationGradients;
        Name = name ?? aggregator.Name;
    }

    /// <inheritdoc />
    public override string Name { get; }

    /// <summary>The aggregation method.</summary>
    public GradientAggregator Aggregator { get; }

    /// <summary>Whether the Jacobian is taken with respect to the shared representation (<c>rep_grad</c>).</summary>
    public bool RepresentationGradients { get; }

    /// <summary>What the aggregator returned on the last step.</summary>
    public AggregationResult? LastResult { get; private set; }

    /// <inheritdoc />
    protected override bool HasJacobian => true;

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step)
    {
        var (result, jacobian) = Backward(step, lossScales: null);
        RecordConflict(jacobian);
        if (result.Weights is not null) RecordWeights(result.Weights);
    }

    /// <inheritdoc />
    protected override void SaveState(StrategyState state)
    {
        var aggregator = new StrategyState();
        Aggregator.SaveState(aggregator);
        state.PutSection("aggregator.", aggregator);
    }

    /// <inheritdoc />
    protected override void LoadState(StrategyState state) => Aggregator.LoadState(state.Section("aggregator."));

    /// <summary>
    /// The step with each task loss scaled by sₜ (IMTL-L's e^{sₜ}; all 1 when null): J's rows, the losses the aggregator
    /// reads and the task-specific gradients are those of sₜ·lossₜ. Returns the aggregator's result and J.
    /// </summary>
    internal (AggregationResult Result, DenseMatrix Jacobian) Backward(TrainingStep<T> step, double[]? lossScales)
    {
        var losses = LossValues(step);
        if (lossScales is not null)
            for (int t = 0; t < losses.Length; t++) losses[t] *= lossScales[t];
        var jacobian = StepJacobian<T>.Build(step, RepresentationGradients, lossScales, _jacobianBuffer);
        _jacobianBuffer = jacobian.Matrix.Data;
        var result = Aggregator.Aggregate(jacobian.Matrix, losses);
        LastResult = result;
        jacobian.Apply(result.Direction);
        return (result, jacobian.Matrix);
    }
}
