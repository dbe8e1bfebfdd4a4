using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Data;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// One training step as a strategy sees it: the model, the batch, the outputs, and each task's loss (a scalar in the
/// graph). A strategy turns the task losses into gradients on the parameters' <see cref="MtlTensor{T}.Grad"/>
/// (zero on entry): by one backward pass of a weighted sum (loss weighting: EW, UW, DWA, ...), or from the per-task
/// gradients of the shared parameters or of the shared representation (gradient aggregation: PCGrad, MGDA, ...).
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class TrainingStep<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal TrainingStep(MultiTaskModel<T> model, Batch<T> batch, ModelOutput<T> output, IReadOnlyDictionary<string, MtlTensor<T>> taskLosses, int epoch, long step)
    {
        Model = model;
        Batch = batch;
        Output = output;
        TaskLosses = taskLosses;
        Epoch = epoch;
        Step = step;
    }

    /// <summary>The model being trained.</summary>
    public MultiTaskModel<T> Model { get; }

    /// <summary>The step's batch (inputs and targets).</summary>
    public Batch<T> Batch { get; }

    /// <summary>The model's outputs and representations for the batch.</summary>
    public ModelOutput<T> Output { get; }

    /// <summary>Task name → that task's loss on the batch (0 when the batch has none of its labels), in task order.</summary>
    public IReadOnlyDictionary<string, MtlTensor<T>> TaskLosses { get; }

    /// <summary>The epoch (1-based).</summary>
    public int Epoch { get; }

    /// <summary>The step's index over the whole run (0-based).</summary>
    public long Step { get; }

    /// <summary>
    /// For a data-parallel step whose representations are stand-ins for the slices' (<see cref="DataParallel.SurrogateStep{T}"/>):
    /// given the representation tensors and a direction on each, the (parameter, gradient) pairs that pushing the direction
    /// back through the slices' shared part gives; null on a local step (the direction is pushed by a backward pass).
    /// </summary>
    internal Func<IReadOnlyList<MtlTensor<T>>, IReadOnlyList<MtlTensor<T>>, List<(MtlTensor<T>, MtlTensor<T>)>>? RepresentationBackward { get; init; }

    /// <summary>Σ wₜ·lossₜ over the tasks (a task absent from <paramref name="weights"/> gets weight 0).</summary>
    public MtlTensor<T> WeightedLoss(IReadOnlyDictionary<string, double> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        MtlTensor<T>? total = null;
        foreach (var (task, loss) in TaskLosses)
        {
            if (!weights.TryGetValue(task, out double w) || w == 0) continue;
            var term = w == 1 ? loss : loss * T.CreateChecked(w);
            total = total is null ? term : total + term;
        }
        return total ?? TaskLosses.Values.First() * T.Zero;
    }

    /// <summary>
    /// The per-task gradients ∂lossₜ/∂x for each x of <paramref name="inputs"/> (shared parameters, or the shared
    /// representation), one backward pass per task over the kept graph: row t, column j. A task whose loss does not
    /// depend on an input gets zeros there. The graph stays usable for a final <see cref="Backward"/>.
    /// </summary>
    public MtlTensor<T>[][] TaskGradients(IReadOnlyList<MtlTensor<T>> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var losses = TaskLosses.Values.ToList();
        var result = new MtlTensor<T>[losses.Count][];
        for (int t = 0; t < losses.Count; t++)
        {
            var row = losses[t].RequiresGrad ? Grad.Of(losses[t], inputs, retainGraph: true) : new MtlTensor<T>?[inputs.Count];
            result[t] = new MtlTensor<T>[inputs.Count];
            for (int j = 0; j < inputs.Count; j++) result[t][j] = row[j] ?? MtlTensor.ZerosLike(inputs[j]);
        }
        return result;
    }

    /// <summary>
    /// Each task's loss on this step's batch with the model's current parameters, in task order: one forward pass without
    /// recording, in the model's current mode. After the optimizer's step it gives the losses the update reached on the same
    /// batch (what FAMO compares with <see cref="TaskLosses"/>).
    /// </summary>
    public double[] RecomputeLosses()
    {
        using var _ = Grad.NoGrad();
        var output = Model.Forward(Batch);
        var result = new double[Model.Tasks.Count];
        for (int t = 0; t < result.Length; t++)
        {
            var task = Model.Tasks[t];
            result[t] = double.CreateChecked(TaskObjectives.Loss(task, output[task.Name], Batch.Target(task.Name)).Item());
        }
        return result;
    }

    /// <summary>Backpropagates <paramref name="loss"/> into the parameters' gradients (accumulating).</summary>
    public void Backward(MtlTensor<T> loss)
    {
        ArgumentNullException.ThrowIfNull(loss);
        if (loss.RequiresGrad) loss.Backward();
    }
}

/// <summary>
/// How a multi-task training step turns the per-task losses into parameter gradients, and what it learns between
/// epochs. Loss-weighting methods backpropagate a weighted sum; gradient-aggregation methods read the per-task
/// gradients (<see cref="TrainingStep{T}.TaskGradients"/>) and write the combined gradient into the parameters' Grad.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITrainingStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A short name for reports (<c>ew</c>, <c>fixed</c>, <c>pcgrad</c>, ...).</summary>
    string Name { get; }

    /// <summary>Fills the parameters' gradients for this step (they are zero on entry).</summary>
    void Backward(TrainingStep<T> step);

    /// <summary>
    /// The task weights the strategy used last (for the history), or empty when it does not weight tasks; the strategies
    /// of <c>MultiTask/Weighting</c> give the mean over the current epoch's steps.
    /// </summary>
    IReadOnlyDictionary<string, double> TaskWeights { get; }

    /// <summary>
    /// The cosines between the task gradients (T × T, task order) averaged over the current epoch's steps, or null when
    /// the strategy does not record them; the trainer copies it into <see cref="EpochReport.GradientConflict"/>.
    /// </summary>
    IReadOnlyList<IReadOnlyList<double>>? GradientConflict => null;

    /// <summary>Called after each epoch with its report (methods such as DWA read the loss history here).</summary>
    void OnEpochEnd(EpochReport report) { }

    /// <summary>
    /// Called after the optimizer's step with the same step (its batch still on the device): methods that learn from what
    /// the update did, such as FAMO (the decrease of each task's log-loss on the same batch,
    /// <see cref="TrainingStep{T}.RecomputeLosses"/>), update themselves here. Nothing by default.
    /// </summary>
    void AfterOptimizerStep(TrainingStep<T> step) { }

    /// <summary>
    /// What the strategy has learned and must carry over a resumed run (learned weights and their optimizer's moments, loss
    /// histories, moving averages, random positions), as named float64 arrays; the <see cref="Trainer{T}"/> writes them into
    /// its checkpoints under <c>strategy.</c>. Empty by default (a stateless strategy).
    /// </summary>
    IReadOnlyList<NdArray> StateDict() => [];

    /// <summary>Restores what <see cref="StateDict"/> wrote (the same strategy, built with the same tasks and parameters).</summary>
    /// <exception cref="ArgumentException">When an entry the strategy needs is missing or of the wrong size.</exception>
    void LoadStateDict(IReadOnlyList<NdArray> state) { }
}

/// <summary>
/// Fixed loss weighting: loss = Σ wₜ·lossₜ with each task's <see cref="TaskSpec.Weight"/> (equal weighting, EW, when
/// every weight is 1), one backward pass per step.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class FixedWeighting<T> : ITrainingStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, double> _weights;

    /// <summary>Weights the tasks by their <see cref="TaskSpec.Weight"/>.</summary>
    public FixedWeighting(IReadOnlyList<TaskSpec> tasks)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        _weights = tasks.ToDictionary(t => t.Name, t => t.Weight);
        Name = _weights.Values.All(w => w == 1) ? "ew" : "fixed";
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, double> TaskWeights => _weights;

    /// <inheritdoc />
    public void Backward(TrainingStep<T> step)
    {
        ArgumentNullException.ThrowIfNull(step);
        step.Backward(step.WeightedLoss(_weights));
    }
}
