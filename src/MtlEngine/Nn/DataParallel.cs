using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// Computes a training step's gradients somewhere else than in <see cref="Trainer{T}"/>'s own forward and backward pass:
/// data-parallel training, where the step's batch is cut into slices whose gradients are computed on other machines (or
/// other model replicas) and summed. Set on <see cref="Trainer{T}.StepGradients"/>; the trainer keeps the shuffling, the
/// optimizer, clipping, the schedule, validation, early stopping and checkpoints.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public interface IStepGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Sets the <see cref="MtlTensor{T}.Grad"/> of every parameter of the trainer's model (in
    /// <see cref="Module{T}.Parameters"/> order) to the gradient of Σₜ wₜ·lossₜ on the batch of <paramref name="rows"/>, at
    /// the model's current parameters, and returns each task's loss on that batch (task order).
    /// </summary>
    /// <param name="rows">The step's batch: rows of the trainer's data set, in batch order.</param>
    /// <param name="epoch">The epoch (1-based).</param>
    /// <param name="step">The step's index over the whole run (0-based).</param>
    double[] Compute(int[] rows, int epoch, long step);
}

/// <summary>
/// The pieces of exact synchronous data-parallel training (the all-reduce of PyTorch's DistributedDataParallel, summed in a
/// fixed order): a batch of B rows is cut into K contiguous slices; slice s computes the gradient of
/// Σₜ wₜ·fₛₜ·lossₜ(slice s) on a replica holding the coordinator's parameters, where fₛₜ = Dₜ(slice s)/Dₜ(batch) and Dₜ is
/// the loss's denominator (the labelled samples, or the sum of their class weights, or the labelled values: see
/// <see cref="Losses"/>); the coordinator adds the K gradients in slice order. Because every loss is Σ m·s·ℓ / Σ m·s, the
/// sum is the gradient of Σₜ wₜ·lossₜ(batch) — the local step's — up to the rounding of the float sums (not bitwise: the
/// local step reduces over the whole batch in one order, the slices in K parts).
/// <para>
/// Dropout and modality dropout draw, on every slice, the whole batch's masks from the coordinator's generator positions
/// and apply the slice's rows (<see cref="ISliceDraws"/>, <see cref="SliceDraws"/>), so the masks are the local step's.
/// An auxiliary loss that is a sum over the batch's rows (DSelect-k's selector regularization: <see cref="IRowSumAuxiliaryLoss"/>)
/// is computed on each slice and added with weight 1, so its slices add up to the batch's.
/// Batch normalization is synchronized (PyTorch's SyncBatchNorm): the slices run at once and exchange their per-channel
/// statistics through an <see cref="ISliceCollective"/> inside the step, forward and backward, so every slice normalizes
/// with the whole batch's statistics; the running estimates, the same on every slice, come back to the coordinator
/// (<see cref="GetSynchronizedBuffers{T}"/>). The joint alignment's InfoNCE, over every pair of the batch, is synchronized
/// too: the slices gather each other's embeddings and each keeps its share of the batch's loss. Only replicable models
/// qualify; <see cref="CheckReplicable{T}"/> says which module is in the way.
/// </para>
/// </summary>
public static partial class DataParallel
{
    /// <summary>
    /// Refuses a model whose step is not a sum over its samples: an <see cref="IRandomizedModule"/> that cannot draw a
    /// slice's part of the batch's draws (dropout and modality dropout can: <see cref="ISliceDraws"/>), or an
    /// <see cref="IWholeBatchLoss"/> that needs the whole batch and is not synchronized. Batch normalization and the joint
    /// alignment qualify: they are synchronized over the slices (<see cref="ISynchronizedModule"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Naming the first module in the way, why, and what to change.</exception>
    public static void CheckReplicable<T>(Module<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var (name, module) in model.NamedModules())
        {
            string why = module switch
            {
                ISliceDraws => "",
                IRandomizedModule => "uses random draws in training that cannot be taken from the whole batch's; train locally",
                ISynchronizedModule => "", // batch normalization, the joint alignment: the slices exchange what they need (ISliceCollective)
                IWholeBatchLoss { WholeBatchReason: { } reason } => reason,
                _ => "",
            };
            if (why.Length > 0)
                throw new ArgumentException($"The module \"{name}\" {why} (data-parallel training splits each batch exactly over slices).");
        }
    }

    /// <summary>
    /// The auxiliary loss of a slice's forward (<see cref="ModelOutput{T}.AuxiliaryLoss"/>), scaled by nothing: the model
    /// declares it a sum over the batch's rows (<see cref="IRowSumAuxiliaryLoss"/>), or it is a synchronized whole-batch loss's
    /// share (the joint alignment's, with a collective), so the slices' auxiliary losses add up to the batch's and their
    /// gradients to its gradient. Null without one.
    /// </summary>
    /// <exception cref="ArgumentException">When the model adds an auxiliary loss that it does not declare a sum over rows.</exception>
    private static MtlTensor<T>? SliceAuxiliary<T>(MultiTaskModel<T> model, ModelOutput<T> output, bool synchronized) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (output.AuxiliaryLoss is not { RequiresGrad: true } auxiliary) return null;
        if (model is IRowSumAuxiliaryLoss { AuxiliaryLossSumsOverRows: true }) return auxiliary;
        // A model whose auxiliary loss is a synchronized whole-batch loss (the joint alignment) gives each slice its share.
        if (synchronized && model is not IRowSumAuxiliaryLoss && model.NamedModules().Any(m => m.Value is IWholeBatchLoss and ISynchronizedModule)) return auxiliary;
        throw new ArgumentException($"{model.GetType().Name} adds an auxiliary loss that is not a sum over the batch's rows, so data-parallel training cannot split it exactly over slices; train it locally.");
    }

    /// <summary>The K contiguous slices of a batch of <paramref name="rows"/> rows: slice s is [⌊s·B/K⌋, ⌊(s+1)·B/K⌋) (some may be empty).</summary>
    public static (int Start, int Count)[] Slices(int rows, int slices)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(slices, 1);
        var result = new (int, int)[slices];
        for (int s = 0; s < slices; s++)
        {
            int start = (int)((long)s * rows / slices), end = (int)((long)(s + 1) * rows / slices);
            result[s] = (start, end - start);
        }
        return result;
    }

    /// <summary>
    /// fₛₜ = Dₜ(slice s)/Dₜ(batch) for each slice of <paramref name="rows"/> (<see cref="Slices"/>) and task (0 where the batch
    /// has no label of the task): the share of each slice in each task's loss.
    /// </summary>
    public static double[][] Fractions<T>(IReadOnlyList<TaskSpec> tasks, MultiTaskDataset<T> data, int[] rows, int slices)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        var parts = Slices(rows.Length, slices);
        var denominators = new double[slices][];
        var totals = new double[tasks.Count];
        for (int s = 0; s < slices; s++)
        {
            denominators[s] = new double[tasks.Count];
            if (parts[s].Count == 0) continue;
            var targets = data.Targets(rows.AsSpan(parts[s].Start, parts[s].Count));
            for (int t = 0; t < tasks.Count; t++)
            {
                denominators[s][t] = LossDenominator(tasks[t], targets[tasks[t].Name]);
                totals[t] += denominators[s][t];
            }
        }
        for (int s = 0; s < slices; s++)
            for (int t = 0; t < tasks.Count; t++)
                denominators[s][t] = totals[t] == 0 ? 0 : denominators[s][t] / totals[t];
        return denominators;
    }

    /// <summary>
    /// Dₜ, the denominator of <see cref="TaskObjectives.Loss{T}"/> on these targets: Σ of the class weights of the labelled
    /// samples (1 each without class weights) for classification, the count of labelled values for binary and regression tasks.
    /// </summary>
    public static double LossDenominator<T>(TaskSpec task, BatchTarget<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(target);
        double sum = 0;
        if (target.Labels is { } labels)
        {
            foreach (int label in labels)
                if (label >= 0) sum += task.ClassWeights is null ? 1 : task.ClassWeights[label];
            return sum;
        }
        foreach (var m in target.Mask!.Contiguous().ToArray()) sum += double.CreateChecked(m);
        return sum;
    }

    /// <summary>The number of parameter values of the model (the length of its flat parameter and gradient vectors).</summary>
    public static int ParameterLength<T>(Module<T> model) where T : unmanaged, IFloatingPointIeee754<T> =>
        checked((int)model.Parameters().Sum(p => (long)p.Length));

    /// <summary>The model's parameters as one flat vector, in <see cref="Module{T}.Parameters"/> order.</summary>
    public static T[] GetParameters<T>(Module<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        var flat = new T[ParameterLength(model)];
        int at = 0;
        foreach (var p in model.Parameters())
        {
            p.Contiguous().To(Device.Cpu).AsSpan().CopyTo(flat.AsSpan(at, p.Length));
            at += p.Length;
        }
        return flat;
    }

    /// <summary>Overwrites the model's parameters (host tensors) with a flat vector from <see cref="GetParameters{T}"/>.</summary>
    /// <exception cref="ArgumentException">When the vector's length is not the model's.</exception>
    public static void SetParameters<T>(Module<T> model, ReadOnlySpan<T> flat) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        int length = ParameterLength(model);
        if (flat.Length != length)
            throw new ArgumentException($"The parameter vector has {flat.Length} values but the model has {length}; both sides must build the model from the same spec.");
        int at = 0;
        foreach (var p in model.Parameters())
        {
            flat.Slice(at, p.Length).CopyTo(p.AsSpan());
            at += p.Length;
        }
    }

    /// <summary>Sets each parameter's <see cref="MtlTensor{T}.Grad"/> from a flat gradient (rounded to T), in parameter order.</summary>
    /// <exception cref="ArgumentException">When the vector's length is not the model's.</exception>
    public static void SetGradients<T>(Module<T> model, ReadOnlySpan<double> flat) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        int length = ParameterLength(model);
        if (flat.Length != length)
            throw new ArgumentException($"The gradient vector has {flat.Length} values but the model has {length} parameters.");
        int at = 0;
        foreach (var p in model.Parameters())
        {
            p.Grad = LikeParameter(p, flat.Slice(at, p.Length), scoped: false); // lives with the parameter, not with a scope or arena step
            at += p.Length;
        }
    }

    /// <summary>
    /// A parameter's part of a flat vector (rounded to T) as a tensor of the parameter's shape, on its device; with
    /// <paramref name="scoped"/> false its device storage is not released with the open <see cref="DeviceMemoryScope"/> or
    /// <see cref="TensorArena"/> step (a gradient that the next step zeroes in place).
    /// </summary>
    internal static MtlTensor<T> LikeParameter<T>(MtlTensor<T> parameter, ReadOnlySpan<double> values, bool scoped = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rounded = new T[parameter.Length];
        for (int i = 0; i < rounded.Length; i++) rounded[i] = T.CreateChecked(values[i]);
        var host = MtlTensor.FromArray(rounded, parameter.Shape.ToArray());
        return parameter.Device.Kind == DeviceKind.Cpu ? host : host.To(parameter.Device, scoped);
    }

    /// <summary>
    /// One slice's part of a step on a replica (its parameters already set): forward on <paramref name="rows"/> in training
    /// mode, backward of Σₜ wₜ·fₜ·lossₜ(slice), the gradient written flat into <paramref name="gradient"/>; returns fₜ·lossₜ(slice)
    /// per task, whose sum over the slices is each task's loss on the batch. An auxiliary loss that sums over rows
    /// (<see cref="IRowSumAuxiliaryLoss"/>) joins the backward with weight 1, as the local step adds its gradient. An empty slice gives zeros.
    /// </summary>
    /// <param name="model">The replica.</param>
    /// <param name="data">The replica's data set (the same rows as the coordinator's).</param>
    /// <param name="rows">The slice's rows.</param>
    /// <param name="fractions">fₜ of this slice per task (<see cref="Fractions{T}"/>).</param>
    /// <param name="weights">wₜ per task (1 for equal weighting).</param>
    /// <param name="gradient">Receives the gradient, <see cref="ParameterLength{T}"/> values.</param>
    /// <param name="draws">Where the slice lies in the batch and the generators' positions, for a model with dropout; null: none.</param>
    /// <param name="collective">The step's collective, for a model with synchronized modules (<see cref="IsSynchronized{T}"/>):
    /// every non-empty slice runs then at once with the others, and its backward pass includes every task's term, a zero one
    /// too, so the slices' collectives match. Null: none.</param>
    /// <exception cref="ArgumentException">When the model has an auxiliary loss that is not a sum over rows, or a length does not match.</exception>
    public static double[] SliceGradients<T>(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, IReadOnlyList<double> fractions,
        IReadOnlyList<double> weights, Span<T> gradient, SliceDraws? draws = null, ISliceCollective? collective = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(fractions);
        ArgumentNullException.ThrowIfNull(weights);
        int tasks = model.Tasks.Count;
        if (fractions.Count != tasks || weights.Count != tasks)
            throw new ArgumentException($"The step gives {fractions.Count} fractions and {weights.Count} weights for {tasks} tasks.");
        if (gradient.Length != ParameterLength(model))
            throw new ArgumentException($"The gradient buffer has {gradient.Length} values but the model has {ParameterLength(model)} parameters.");
        gradient.Clear();
        var losses = new double[tasks];
        if (rows.Length == 0) return losses;
        var parameters = model.Parameters();
        foreach (var p in parameters) p.Grad = null;
        var (batch, output) = SliceForward(model, data, rows, draws, collective);
        var total = SliceAuxiliary(model, output, collective is not null); // a sum over rows: the slices' terms add up to the batch's, weight 1
        for (int t = 0; t < tasks; t++)
        {
            var task = model.Tasks[t];
            var loss = TaskObjectives.Loss(task, output[task.Name], batch.Target(task.Name));
            losses[t] = fractions[t] * double.CreateChecked(loss.Item());
            double c = weights[t] * fractions[t];
            if (c == 0 && collective is null) continue; // synchronized: the same graph on every slice, so the same collectives
            var term = loss * T.CreateChecked(c);
            total = total is null ? term : total + term;
        }
        if (total is { RequiresGrad: true }) total.Backward();
        int at = 0;
        foreach (var p in parameters)
        {
            if (p.Grad is { } g) g.Contiguous().To(Device.Cpu).AsSpan().CopyTo(gradient.Slice(at, p.Length));
            at += p.Length;
        }
        return losses;
    }
}

/// <summary>
/// Data-parallel steps on this machine: each slice's gradient on its own replica of the model (built by the same factory
/// as the trained model), summed in slice order in double. It is the reference of the cluster's step (the same arithmetic,
/// without the network) and shows the slicing is exact to rounding. A model with synchronized modules (batch normalization:
/// <see cref="DataParallel.IsSynchronized{T}"/>) runs its non-empty slices at once, one thread each, sharing an
/// <see cref="InProcessCollective"/>; the others run one after the other.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class SlicedStepGradients<T> : ITaskStepGradients<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly MultiTaskModel<T> _model;
    private readonly MultiTaskDataset<T> _data;
    private readonly MultiTaskModel<T>[] _replicas;
    private readonly double[] _weights;
    private readonly bool _synchronized;

    /// <summary>Creates the slices' replicas.</summary>
    /// <param name="model">The trained model (its parameters are copied to the replicas each step).</param>
    /// <param name="data">The data set.</param>
    /// <param name="replica">Builds a model of the same architecture (called once per slice).</param>
    /// <param name="slices">K, the slices per batch.</param>
    /// <param name="weights">wₜ per task.</param>
    /// <param name="perTask">Give each task's gradient (<see cref="ITaskStepGradients{T}"/>), so the trainer runs its strategy.</param>
    /// <param name="representation">Give the task losses' gradients on the shared representation too, for a strategy on it
    /// (<c>rep_grad</c>, MGDA-UB: <see cref="TaskStepGradients.Representation"/>, a second round per step); implies <paramref name="perTask"/>.</param>
    /// <exception cref="ArgumentException">When the model is not replicable (<see cref="DataParallel.CheckReplicable{T}"/>), or
    /// <paramref name="representation"/> is asked of a model with synchronized modules.</exception>
    public SlicedStepGradients(MultiTaskModel<T> model, MultiTaskDataset<T> data, Func<MultiTaskModel<T>> replica, int slices, IReadOnlyList<double> weights,
        bool perTask = false, bool representation = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(replica);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentOutOfRangeException.ThrowIfLessThan(slices, 1);
        DataParallel.CheckReplicable(model);
        _model = model;
        _data = data;
        _replicas = Enumerable.Range(0, slices).Select(_ => replica()).ToArray();
        _weights = weights.ToArray();
        _synchronized = DataParallel.IsSynchronized(model);
        if (representation) DataParallel.CheckRepresentationSlices(model);
        PerTask = perTask || representation;
        Representation = representation;
    }

    /// <summary>Whether each step also gives the gradients on the shared representation (<see cref="TaskStepGradients.Representation"/>).</summary>
    public bool Representation { get; }

    /// <inheritdoc />
    public bool PerTask { get; }

    /// <inheritdoc />
    public TaskStepGradients ComputeTasks(int[] rows, int epoch, long step)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var fractions = DataParallel.Fractions(_model.Tasks, _data, rows, _replicas.Length);
        var parts = DataParallel.Slices(rows.Length, _replicas.Length);
        var sums = DataParallel.EmptyTaskGradients(_model);
        var replies = new (double[] Losses, T[] Gradients, bool[] Reached, T[] Auxiliary, bool[] AuxiliaryReached, RepresentationSlice<T>? Representation)[_replicas.Length];
        var parameters = DataParallel.GetParameters(_model);
        var positions = DataParallel.RandomPositions(_model); // round 2 draws the step's masks again from here
        RunSlices(rows, parts, (s, slice, draws, collective) =>
        {
            var reply = (Losses: Array.Empty<double>(), Gradients: new T[sums.Gradients.Length], Reached: new bool[sums.Reached.Length],
                Auxiliary: new T[sums.Auxiliary!.Length], AuxiliaryReached: new bool[sums.AuxiliaryReached!.Length],
                Representation: Representation ? new RepresentationSlice<T>() : null);
            reply.Losses = DataParallel.SliceTaskGradients<T>(_replicas[s], _data, slice, fractions[s], reply.Gradients, reply.Reached, draws,
                reply.Auxiliary, reply.AuxiliaryReached, collective, reply.Representation);
            replies[s] = reply;
        });
        var ones = _synchronized ? DataParallel.SynchronizedFractions(fractions) : null; // synchronized rows come scaled by fₛₜ
        for (int s = 0; s < replies.Length; s++)
            DataParallel.AddSlice<T>(sums, replies[s].Losses, replies[s].Gradients, replies[s].Reached, ones ?? fractions[s], replies[s].Auxiliary, replies[s].AuxiliaryReached);
        if (!Representation) return sums;
        int first = Array.FindIndex(parts, p => p.Count > 0);
        var head = replies[first].Representation!;
        StepRepresentation? representation = null;
        representation = new StepRepresentation(_model.Tasks.Count, rows.Length, head.Widths, head.TaskRepresentations)
        {
            Push = directions => Push(directions, representation!, rows, parts, parameters, positions),
        };
        for (int s = 0; s < replies.Length; s++) representation.AddSlice(parts[s].Start, parts[s].Count, replies[s].Representation!, fractions[s]);
        return sums with { Representation = representation };
    }

    /// <summary>Round 2 of a <c>rep_grad</c> step: each slice pushes its rows of the directions through its replica (from the step's parameters and generator positions); the sum in slice order.</summary>
    private RepresentationPush Push(IReadOnlyList<double[]> directions, StepRepresentation layout, int[] rows, (int Start, int Count)[] parts, T[] parameters,
        ulong[] positions)
    {
        int length = DataParallel.ParameterLength(_model), count = _model.Parameters().Count;
        var sum = new RepresentationPush(new double[length], new bool[count]);
        for (int s = 0; s < parts.Length; s++)
        {
            if (parts[s].Count == 0) continue;
            DataParallel.SetParameters<T>(_replicas[s], parameters);
            var gradient = new T[length];
            var reached = new bool[count];
            DataParallel.SliceRepresentationBackward<T>(_replicas[s], _data, rows.AsSpan(parts[s].Start, parts[s].Count).ToArray(),
                layout.SliceDirection<T>(directions, parts[s].Start, parts[s].Count), gradient, reached, new SliceDraws(parts[s].Start, rows.Length, positions));
            DataParallel.AddPush<T>(sum, gradient, reached);
        }
        return sum;
    }

    /// <inheritdoc />
    public double[] Compute(int[] rows, int epoch, long step)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var fractions = DataParallel.Fractions(_model.Tasks, _data, rows, _replicas.Length);
        var parts = DataParallel.Slices(rows.Length, _replicas.Length);
        int length = DataParallel.ParameterLength(_model);
        var replies = new (double[] Losses, T[] Gradient)[_replicas.Length];
        RunSlices(rows, parts, (s, slice, draws, collective) =>
        {
            var gradient = new T[length];
            replies[s] = (DataParallel.SliceGradients(_replicas[s], _data, slice, fractions[s], _weights, gradient, draws, collective), gradient);
        });
        var sum = new double[length];
        var losses = new double[_model.Tasks.Count];
        for (int s = 0; s < replies.Length; s++) // slice order
        {
            for (int i = 0; i < sum.Length; i++) sum[i] += double.CreateChecked(replies[s].Gradient[i]);
            for (int t = 0; t < losses.Length; t++) losses[t] += replies[s].Losses[t];
        }
        DataParallel.SetGradients<T>(_model, sum);
        return losses;
    }

    /// <summary>
    /// Runs every slice's <paramref name="work"/> on its replica, set to the model's parameters (and synchronized buffers): one
    /// after the other, or, for a synchronized model, the non-empty slices at once on their own threads (this thread's
    /// parallelism each) with a collective over them. Then moves the model's generators and synchronized buffers to where the
    /// slices left them.
    /// </summary>
    private void RunSlices(int[] rows, (int Start, int Count)[] parts, Action<int, int[], SliceDraws, ISliceCollective?> work)
    {
        var parameters = DataParallel.GetParameters(_model);
        var buffers = _synchronized ? DataParallel.GetSynchronizedBuffers(_model) : null;
        var positions = DataParallel.RandomPositions(_model);
        void Run(int s, ISliceCollective? collective)
        {
            DataParallel.SetParameters<T>(_replicas[s], parameters);
            if (buffers is not null) DataParallel.SetSynchronizedBuffers<T>(_replicas[s], buffers);
            work(s, rows.AsSpan(parts[s].Start, parts[s].Count).ToArray(), new SliceDraws(parts[s].Start, rows.Length, positions), collective);
        }
        var active = Enumerable.Range(0, parts.Length).Where(s => parts[s].Count > 0).ToArray();
        if (!_synchronized)
        {
            for (int s = 0; s < parts.Length; s++) Run(s, null);
        }
        else
        {
            for (int s = 0; s < parts.Length; s++)
                if (parts[s].Count == 0) Run(s, null); // an empty slice computes nothing and takes no part in the collective
            RunAtOnce(active, Run);
        }
        if (active.Length == 0) return;
        DataParallel.SetRandomPositions(_model, DataParallel.RandomPositions(_replicas[active[0]])); // every slice drew the whole batch's values
        if (buffers is not null) DataParallel.SetSynchronizedBuffers<T>(_model, DataParallel.GetSynchronizedBuffers(_replicas[active[0]]));
    }

    /// <summary>Runs the <paramref name="active"/> slices on one thread each over one collective; the first slice's failure fails the step (and releases the others).</summary>
    private static void RunAtOnce(int[] active, Action<int, ISliceCollective?> run)
    {
        using var collective = new InProcessCollective(active.Length);
        var parallelism = TensorParallelism.Current;
        var failures = new Exception?[active.Length];
        var threads = new Thread[active.Length];
        for (int k = 0; k < active.Length; k++)
        {
            int participant = k;
            threads[k] = new Thread(() =>
            {
                using var scope = TensorParallelism.Use(parallelism);
                try
                {
                    run(active[participant], collective.For(participant));
                }
                catch (Exception error)
                {
                    failures[participant] = error;
                    collective.Abandon();
                }
            }) { IsBackground = true, Name = $"data-parallel slice {active[participant]}" };
            threads[k].Start();
        }
        foreach (var thread in threads) thread.Join();
        if (failures.FirstOrDefault(e => e is not null and not OperationCanceledException) is { } failure)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure).Throw();
        if (failures.FirstOrDefault(e => e is not null) is { } cancelled)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(cancelled).Throw();
    }
}
