using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// A data-parallel step's per-task gradients, summed over the slices: what any <see cref="ITrainingStrategy{T}"/> needs
/// to run on the coordinator as it runs locally (loss weighting with changing weights, gradient aggregation, the
/// gradient-conflict record).
/// </summary>
/// <param name="Losses">lossₜ on the batch, per task (Σ over the slices of fₛₜ·lossₜ(slice s)).</param>
/// <param name="Gradients">∇lossₜ on the batch, flat in parameter order: T × P, row t at t·P (Σ over the slices of fₛₜ·∇lossₜ(slice s)).</param>
/// <param name="Reached">Whether lossₜ depends on parameter k (as <see cref="Grad.Of{T}"/> sees it), T × (parameter tensors), row t at t·K.</param>
public sealed record TaskStepGradients(double[] Losses, double[] Gradients, bool[] Reached)
{
    /// <summary>
    /// ∇ of the model's auxiliary loss on the batch, flat in parameter order (P values; Σ over the slices of each slice's, the
    /// loss being a sum over rows: <see cref="IRowSumAuxiliaryLoss"/>), or null: none. The trainer adds it after the strategy's
    /// backward, as the local step adds the auxiliary loss's gradient.
    /// </summary>
    public double[]? Auxiliary { get; init; }

    /// <summary>Whether the auxiliary loss depends on parameter k (K flags), or null: none.</summary>
    public bool[]? AuxiliaryReached { get; init; }

    /// <summary>
    /// For a strategy on the shared representation (<c>rep_grad</c>, MGDA-UB): the batch's Jacobian of the task losses with
    /// respect to the representations, put together from the slices, and the way to push a direction back through them
    /// (round 2); <see cref="Gradients"/> then holds the task parameters' gradients alone. Null: the step has none.
    /// </summary>
    public StepRepresentation? Representation { get; init; }
}

/// <summary>
/// <see cref="IStepGradients{T}"/> that can also give each task's gradient on the batch (<see cref="TaskStepGradients"/>).
/// When <see cref="PerTask"/> is set, the <see cref="Trainer{T}"/> calls <see cref="ComputeTasks"/> instead of
/// <see cref="IStepGradients{T}.Compute"/> and runs its <see cref="Trainer{T}.Strategy"/> on a step whose task losses carry
/// those gradients (<see cref="DataParallel.SurrogateStep{T}"/>), so every strategy runs as in a local step.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface ITaskStepGradients<T> : IStepGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Whether the trainer should ask for per-task gradients (T times the traffic of the summed gradient).</summary>
    bool PerTask { get; }

    /// <summary>Each task's loss and gradient on the batch of <paramref name="rows"/> at the model's current parameters.</summary>
    /// <param name="rows">The step's batch: rows of the trainer's data set, in batch order.</param>
    /// <param name="epoch">The epoch (1-based).</param>
    /// <param name="step">The step's index over the whole run (0-based).</param>
    TaskStepGradients ComputeTasks(int[] rows, int epoch, long step);
}

public static partial class DataParallel
{
    /// <summary>
    /// One slice's per-task part of a step on a replica (its parameters already set): forward on <paramref name="rows"/> in
    /// training mode, then one backward pass per task over the kept graph; row t of <paramref name="gradients"/> (T × P)
    /// receives ∇lossₜ(slice) — unscaled: the coordinator multiplies by fₛₜ in double while it sums (<see cref="AddSlice"/>) —
    /// and <paramref name="reached"/> (T × K parameter tensors) whether lossₜ depends on each parameter. Returns fₜ·lossₜ(slice)
    /// per task. An empty slice gives zeros and reaches nothing.
    /// </summary>
    /// <param name="model">The replica.</param>
    /// <param name="data">The replica's data set.</param>
    /// <param name="rows">The slice's rows.</param>
    /// <param name="fractions">fₜ of this slice per task (<see cref="Fractions{T}"/>).</param>
    /// <param name="gradients">Receives the T × P gradients.</param>
    /// <param name="reached">Receives the T × K flags.</param>
    /// <param name="draws">Where the slice lies in the batch and the generators' positions, for a model with dropout; null: none.</param>
    /// <param name="auxiliary">Receives the gradient of the slice's auxiliary loss (P values, unscaled: it is a sum over rows,
    /// <see cref="IRowSumAuxiliaryLoss"/>), zeros without one; may be empty for a model without an auxiliary loss.</param>
    /// <param name="auxiliaryReached">Receives whether the auxiliary loss depends on each parameter tensor (K flags); empty with <paramref name="auxiliary"/>.</param>
    /// <param name="collective">The step's collective, for a model with synchronized modules (<see cref="IsSynchronized{T}"/>), or
    /// null. With one, the slices' gradients are coupled (each slice's backward carries every slice's share of the batch
    /// statistics' gradient), so row t receives ∇(fₜ·lossₜ(slice)) already scaled: add the slices with fractions of 1
    /// (<see cref="SynchronizedFractions"/>).</param>
    /// <param name="representation">For a strategy on the shared representation (<c>rep_grad</c>, MGDA-UB), or null: the backward
    /// pass of each task goes to the distinct representations and the task parameters alone, as the local step's Jacobian
    /// (so row t of <paramref name="gradients"/> holds the task parameters' gradients, zeros on the shared ones), and
    /// receives ∂lossₜ(slice)/∂R (unscaled); round 2 is <see cref="SliceRepresentationBackward{T}"/>. Not with a collective.</param>
    /// <exception cref="ArgumentException">When the model has an auxiliary loss that is not a sum over rows, or one and no buffer for it, or a length does not match,
    /// or a representation is asked with a collective.</exception>
    public static double[] SliceTaskGradients<T>(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, IReadOnlyList<double> fractions,
        Span<T> gradients, Span<bool> reached, SliceDraws? draws = null, Span<T> auxiliary = default, Span<bool> auxiliaryReached = default,
        ISliceCollective? collective = null, RepresentationSlice<T>? representation = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (representation is not null && collective is not null)
            throw new ArgumentException("rep_grad over slices is not built for synchronized modules (batch normalization, the joint alignment, the mean fill): their representation gradients couple the slices; aggregate on the shared parameters or train locally.");
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(fractions);
        int tasks = model.Tasks.Count, length = ParameterLength(model);
        var parameters = model.Parameters();
        if (fractions.Count != tasks)
            throw new ArgumentException($"The step gives {fractions.Count} fractions for {tasks} tasks.");
        if (gradients.Length != tasks * length || reached.Length != tasks * parameters.Count)
            throw new ArgumentException($"The buffers hold {gradients.Length} gradient values and {reached.Length} flags, but {tasks} tasks × {length} parameter values and × {parameters.Count} parameters are needed.");
        if ((auxiliary.Length != 0 || auxiliaryReached.Length != 0) && (auxiliary.Length != length || auxiliaryReached.Length != parameters.Count))
            throw new ArgumentException($"The auxiliary buffers hold {auxiliary.Length} values and {auxiliaryReached.Length} flags, but {length} and {parameters.Count} are needed.");
        gradients.Clear();
        reached.Clear();
        auxiliary.Clear();
        auxiliaryReached.Clear();
        var losses = new double[tasks];
        if (rows.Length == 0) return losses;
        var (batch, output) = SliceForward(model, data, rows, draws, collective);
        var extra = SliceAuxiliary(model, output, collective is not null);
        if (extra is not null && auxiliary.Length == 0)
            throw new ArgumentException($"{model.GetType().Name} adds an auxiliary loss; pass buffers for its gradient ({length} values, {parameters.Count} flags).");
        if (representation is not null)
        {
            var taskLosses = new MtlTensor<T>[tasks];
            for (int t = 0; t < tasks; t++)
            {
                var task = model.Tasks[t];
                taskLosses[t] = TaskObjectives.Loss(task, output[task.Name], batch.Target(task.Name));
                losses[t] = fractions[t] * double.CreateChecked(taskLosses[t].Item());
            }
            RepresentationTaskGradients(model, output, taskLosses, rows.Length, gradients, reached, representation, retainLast: extra is not null);
            if (extra is not null) CopyGradients(Grad.Of(extra, parameters), parameters, auxiliary, auxiliaryReached);
            return losses;
        }
        for (int t = 0; t < tasks; t++)
        {
            var task = model.Tasks[t];
            var loss = TaskObjectives.Loss(task, output[task.Name], batch.Target(task.Name));
            losses[t] = fractions[t] * double.CreateChecked(loss.Item());
            if (!loss.RequiresGrad) continue;
            var seed = collective is null ? loss : loss * T.CreateChecked(fractions[t]); // coupled slices: scale before the exchange
            var row = Grad.Of(seed, parameters, retainGraph: t < tasks - 1 || extra is not null);
            CopyGradients(row, parameters, gradients.Slice(t * length, length), reached.Slice(t * parameters.Count, parameters.Count));
        }
        if (extra is not null) CopyGradients(Grad.Of(extra, parameters), parameters, auxiliary, auxiliaryReached);
        return losses;
    }

    /// <summary>Copies the gradients of <see cref="Grad.Of{T}"/> flat into <paramref name="flat"/> and flags the parameters reached.</summary>
    private static void CopyGradients<T>(IReadOnlyList<MtlTensor<T>?> row, IReadOnlyList<MtlTensor<T>> parameters, Span<T> flat, Span<bool> reached)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int at = 0;
        for (int k = 0; k < parameters.Count; k++)
        {
            if (row[k] is { } g)
            {
                g.Contiguous().To(Device.Cpu).AsSpan().CopyTo(flat.Slice(at, parameters[k].Length));
                reached[k] = true;
            }
            at += parameters[k].Length;
        }
    }

    /// <summary>
    /// Adds one slice's per-task reply into the step's sums, in double: losses += slice losses (already fₜ-scaled),
    /// gradient row t += fₜ·row t of the slice, reached |= the slice's flags, and the auxiliary loss's gradient (a sum over
    /// rows: weight 1) and flags, when given. Call it in slice order.
    /// </summary>
    /// <exception cref="ArgumentException">When a length does not match the sums.</exception>
    public static void AddSlice<T>(TaskStepGradients sums, ReadOnlySpan<double> losses, ReadOnlySpan<T> gradients, ReadOnlySpan<bool> reached,
        IReadOnlyList<double> fractions, ReadOnlySpan<T> auxiliary = default, ReadOnlySpan<bool> auxiliaryReached = default)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(sums);
        ArgumentNullException.ThrowIfNull(fractions);
        int tasks = sums.Losses.Length;
        if (losses.Length != tasks || gradients.Length != sums.Gradients.Length || reached.Length != sums.Reached.Length || fractions.Count != tasks)
            throw new ArgumentException($"The slice has {losses.Length} losses, {gradients.Length} gradient values and {reached.Length} flags, but the step has {tasks}, {sums.Gradients.Length} and {sums.Reached.Length}.");
        int length = sums.Gradients.Length / Math.Max(1, tasks);
        for (int t = 0; t < tasks; t++)
        {
            sums.Losses[t] += losses[t];
            double f = fractions[t];
            if (f == 0) continue;
            var row = gradients.Slice(t * length, length);
            var sum = sums.Gradients.AsSpan(t * length, length);
            for (int i = 0; i < length; i++) sum[i] += f * double.CreateChecked(row[i]);
        }
        for (int i = 0; i < reached.Length; i++) sums.Reached[i] |= reached[i];
        if (auxiliary.Length == 0 && auxiliaryReached.Length == 0) return;
        if (sums.Auxiliary is not { } total || sums.AuxiliaryReached is not { } flags || auxiliary.Length != total.Length || auxiliaryReached.Length != flags.Length)
            throw new ArgumentException($"The slice has {auxiliary.Length} auxiliary gradient values and {auxiliaryReached.Length} flags, but the step has {sums.Auxiliary?.Length ?? 0} and {sums.AuxiliaryReached?.Length ?? 0}.");
        for (int i = 0; i < total.Length; i++) total[i] += double.CreateChecked(auxiliary[i]);
        for (int i = 0; i < flags.Length; i++) flags[i] |= auxiliaryReached[i];
    }

    /// <summary>
    /// The fractions to add a synchronized slice's per-task reply with (<see cref="AddSlice{T}"/>): its rows are already scaled
    /// by fₜ (<see cref="SliceTaskGradients{T}"/> with a collective), so 1 for every task the batch labels, 0 for the others.
    /// </summary>
    public static double[] SynchronizedFractions(IReadOnlyList<double[]> fractions)
    {
        ArgumentNullException.ThrowIfNull(fractions);
        var ones = new double[fractions.Count == 0 ? 0 : fractions[0].Length];
        foreach (var slice in fractions)
            for (int t = 0; t < ones.Length; t++)
                if (slice[t] != 0) ones[t] = 1;
        return ones;
    }

    /// <summary>Zero sums for a step of <paramref name="model"/>, the auxiliary loss's included (<see cref="AddSlice"/> fills them).</summary>
    public static TaskStepGradients EmptyTaskGradients<T>(MultiTaskModel<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        int tasks = model.Tasks.Count;
        int length = ParameterLength(model), count = model.Parameters().Count;
        return new TaskStepGradients(new double[tasks], new double[tasks * length], new bool[tasks * count])
        {
            Auxiliary = new double[length],
            AuxiliaryReached = new bool[count],
        };
    }

    /// <summary>
    /// A <see cref="TrainingStep{T}"/> on the coordinator's model whose task losses have the batch's values and gradients
    /// of <paramref name="gradients"/>: lossₜ = Lₜ + Σₖ Σ((θₖ − detach θₖ) ⊙ Gₜₖ) over the parameters lossₜ reached. The
    /// added term is exactly 0, so its value is Lₜ (rounded to T), and its gradient on θₖ is Gₜₖ (rounded to T), so a
    /// strategy's backward passes, task gradients and Jacobians give what they give on the local step, up to that rounding.
    /// The outputs are empty, and so are the representations unless <paramref name="gradients"/> carries them
    /// (<see cref="TaskStepGradients.Representation"/>): then each distinct representation is a leaf (B, wᵣ) whose gradient
    /// in lossₜ is the batch's Jacobian block Jₜᵣ (the term Σ((Rᵣ − detach Rᵣ) ⊙ Jₜᵣ), again exactly 0), and a strategy that
    /// pushes a direction D back through the representation (<c>rep_grad</c>) has it pushed through the slices' encoders
    /// (<see cref="StepRepresentation.Push"/>) instead of a local backward pass.
    /// <see cref="TrainingStep{T}.RecomputeLosses"/> runs the model on <paramref name="batch"/> as locally.
    /// </summary>
    /// <param name="model">The coordinator's model.</param>
    /// <param name="batch">The step's batch.</param>
    /// <param name="gradients">The per-task losses and gradients of the batch.</param>
    /// <param name="epoch">The epoch (1-based).</param>
    /// <param name="step">The step's index over the run.</param>
    /// <exception cref="ArgumentException">When the gradients are not of the model's size.</exception>
    public static TrainingStep<T> SurrogateStep<T>(MultiTaskModel<T> model, Batch<T> batch, TaskStepGradients gradients, int epoch, long step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(gradients);
        var parameters = model.Parameters();
        int tasks = model.Tasks.Count, length = ParameterLength(model);
        if (gradients.Losses.Length != tasks || gradients.Gradients.Length != tasks * length || gradients.Reached.Length != tasks * parameters.Count)
            throw new ArgumentException($"The step's gradients are for {gradients.Losses.Length} tasks and {gradients.Gradients.Length} values, but the model has {tasks} tasks and {length} parameter values.");
        var losses = new Dictionary<string, MtlTensor<T>>(tasks);
        for (int t = 0; t < tasks; t++)
        {
            var loss = MtlTensor.Scalar(T.CreateChecked(gradients.Losses[t]));
            int at = 0;
            for (int k = 0; k < parameters.Count; k++)
            {
                var p = parameters[k];
                if (gradients.Reached[t * parameters.Count + k] && p.RequiresGrad)
                    loss = loss + ((p - p.Detach()) * LikeParameter(p, gradients.Gradients.AsSpan(t * length + at, p.Length))).Sum();
                at += p.Length;
            }
            losses[model.Tasks[t].Name] = loss;
        }
        var none = new Dictionary<string, MtlTensor<T>>();
        if (gradients.Representation is not { } representation)
            return new TrainingStep<T>(model, batch, new ModelOutput<T>(none, none), losses, epoch, step);
        var (representations, push) = SurrogateRepresentations(model, representation, losses);
        return new TrainingStep<T>(model, batch, new ModelOutput<T>(none, representations), losses, epoch, step) { RepresentationBackward = push };
    }
}
