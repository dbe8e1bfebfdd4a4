using System.Numerics;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Dual-balancing multi-task learning, DB-MTL (Lin, Ye, Zhang, Kwok, Zhang 2023, "Dual-Balancing for Multi-Task
/// Learning"), as LibMTL's <c>DB_MTL</c> computes it. Loss scale: each task's loss is log-transformed, gₜ = ∇ log(lossₜ + ε)
/// (ε = 1e-8). Gradient magnitude: an exponential moving average of each task's shared gradient,
/// <code>ĝₜ ← gₜ + β/k^σ · (ĝₜ − gₜ)   (k the step, from 1; ĝₜ = 0 before the first)</code>
/// is rescaled to the largest norm and the rescaled rows are summed,
/// <code>D = Σₜ αₜ ĝₜ,   αₜ = maxᵢ ‖ĝᵢ‖ / (‖ĝₜ‖ + 1e-8)</code>
/// with β = 0.9 and σ = 0 (LibMTL's defaults). D becomes the shared parameters' gradient; each task-specific parameter
/// gets the gradient of its task's log-loss. The recorded weights are the αₜ. T backward passes a step.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class DualBalancing<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private double[]? _buffer;
    private int _step;

    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="beta">β in [0, 1): the EMA's memory.</param>
    /// <param name="betaSigma">σ ≥ 0: the memory decays as β/k^σ over the steps k.</param>
    /// <exception cref="ArgumentOutOfRangeException">When β is outside [0, 1) or σ is negative.</exception>
    public DualBalancing(IReadOnlyList<TaskSpec> tasks, double beta = 0.9, double betaSigma = 0) : base(tasks, recordConflict: true)
    {
        if (!(beta >= 0 && beta < 1)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "β must be in [0, 1).");
        if (!(betaSigma >= 0 && double.IsFinite(betaSigma))) throw new ArgumentOutOfRangeException(nameof(betaSigma), betaSigma, "σ must be ≥ 0 and finite.");
        Beta = beta;
        BetaSigma = betaSigma;
    }

    /// <inheritdoc />
    public override string Name => "db-mtl";

    /// <summary>β.</summary>
    public double Beta { get; }

    /// <summary>σ.</summary>
    public double BetaSigma { get; }

    /// <inheritdoc />
    protected override bool HasJacobian => true;

    /// <summary>
    /// One DB-MTL update of <paramref name="buffer"/> (T × P row-major, in place) from the log-loss gradients
    /// <paramref name="gradients"/> at step <paramref name="step"/> (from 1); returns D and the αₜ.
    /// </summary>
    public static (double[] Direction, double[] Alpha) Update(double[] buffer, ReadOnlySpan<double> gradients, int tasks, int step, double beta, double betaSigma)
    {
        int columns = gradients.Length / tasks;
        double memory = beta / Math.Pow(step, betaSigma);
        var norms = new double[tasks];
        for (int t = 0; t < tasks; t++)
        {
            double squares = 0;
            for (int j = 0; j < columns; j++)
            {
                int i = t * columns + j;
                buffer[i] = gradients[i] + memory * (buffer[i] - gradients[i]);
                squares += buffer[i] * buffer[i];
            }
            norms[t] = Math.Sqrt(squares);
        }
        double largest = norms.Max();
        var alpha = norms.Select(n => largest / (n + 1e-8)).ToArray();
        var direction = new double[columns];
        for (int t = 0; t < tasks; t++)
            for (int j = 0; j < columns; j++) direction[j] += alpha[t] * buffer[t * columns + j];
        return (direction, alpha);
    }

    private double[]? _jacobianBuffer; // last step's J, refilled by the next step

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step)
    {
        // ∇ log(lossₜ + ε) = ∇lossₜ / (lossₜ + ε): the Jacobian of the losses with rows scaled by 1/(lossₜ + ε).
        var scales = LossValues(step).Select(l => 1 / (l + 1e-8)).ToArray();
        var jacobian = StepJacobian<T>.Build(step, representation: false, scales, _jacobianBuffer);
        _jacobianBuffer = jacobian.Matrix.Data;
        RecordConflict(jacobian.Matrix);
        _buffer ??= new double[jacobian.Matrix.Data.Length];
        if (_buffer.Length != jacobian.Matrix.Data.Length)
            throw new InvalidOperationException($"The shared parameters changed size between steps ({_buffer.Length} then {jacobian.Matrix.Data.Length} Jacobian entries).");
        var (direction, alpha) = Update(_buffer, jacobian.Matrix.Data, TaskCount, ++_step, Beta, BetaSigma);
        RecordWeights(alpha);
        jacobian.Apply(direction);
    }

    /// <inheritdoc />
    protected override void SaveState(StrategyState state)
    {
        state.Put("step", [_step, 1]); // the 1 keeps the entry at step 0
        state.Put("buffer", _buffer ?? []);
    }

    /// <inheritdoc />
    protected override void LoadState(StrategyState state)
    {
        _step = checked((int)state.Get("step", 2)[0]);
        _buffer = state.Optional("buffer") is { } buffer ? (double[])buffer.Clone() : null;
        if (_buffer is not null && _buffer.Length % TaskCount != 0)
            throw new ArgumentException($"The strategy state's entry \"buffer\" holds {_buffer.Length} values, not a multiple of the {TaskCount} tasks.");
    }
}
