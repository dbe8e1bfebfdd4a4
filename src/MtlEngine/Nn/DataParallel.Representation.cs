using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// What one slice's per-task pass gives for a strategy on the shared representation (<c>rep_grad</c>, MGDA-UB): the
/// gradient of each task's loss on the slice with respect to the slice's rows of each distinct representation the heads
/// read (<see cref="ModelOutput{T}.Representations"/>), filled by <see cref="DataParallel.SliceTaskGradients{T}"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class RepresentationSlice<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>An empty one, for <see cref="DataParallel.SliceTaskGradients{T}"/> to fill.</summary>
    public RepresentationSlice()
    {
    }

    /// <summary>One that a slice computed elsewhere (a cluster's reply).</summary>
    /// <param name="gradients">∂lossₜ(slice)/∂R (<see cref="Gradients"/>).</param>
    /// <param name="widths">wᵣ (<see cref="Widths"/>).</param>
    /// <param name="taskRepresentations">The representation each task reads (<see cref="TaskRepresentations"/>).</param>
    public RepresentationSlice(T[] gradients, int[] widths, int[] taskRepresentations)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(widths);
        ArgumentNullException.ThrowIfNull(taskRepresentations);
        Gradients = gradients;
        Widths = widths;
        TaskRepresentations = taskRepresentations;
    }

    /// <summary>
    /// ∂lossₜ(slice)/∂Rᵣ, unscaled (the coordinator multiplies by fₛₜ): T rows of Σᵣ n·wᵣ values, row t holding each
    /// representation r in turn as n rows of wᵣ values (row-major, as the local Jacobian flattens it). Empty for an empty slice.
    /// </summary>
    public T[] Gradients { get; internal set; } = [];

    /// <summary>wᵣ, the values per row of each distinct representation, in the order of the model's output.</summary>
    public int[] Widths { get; internal set; } = [];

    /// <summary>For each task (task order), the index of the representation its head reads, or −1: none.</summary>
    public int[] TaskRepresentations { get; internal set; } = [];
}

/// <summary>The gradient of the shared parameters that a direction on the representation gives (round 2 of a <c>rep_grad</c> step).</summary>
/// <param name="Gradient">Flat, in <see cref="Module{T}.Parameters"/> order (P values; zeros outside the shared parameters).</param>
/// <param name="Reached">Whether the direction reached each parameter tensor (K flags): those alone get a gradient.</param>
public sealed record RepresentationPush(double[] Gradient, bool[] Reached);

/// <summary>
/// The whole batch's Jacobian of the task losses with respect to the shared representation, put together from the slices
/// (<see cref="AddSlice{T}"/>, slice order), and the way back: <see cref="Push"/> sends a direction on the representation
/// to the slices, each pushes its rows of it through its encoder, and returns the summed gradient of the shared parameters.
/// </summary>
/// <remarks>
/// With a per-sample loss (every loss of <see cref="TaskObjectives"/> is Σ m·s·ℓ / Σ m·s), the gradient of lossₜ(batch) with
/// respect to the rows of slice s is fₛₜ·∂lossₜ(slice s)/∂Rₛ (fₛₜ = Dₜ(slice s)/Dₜ(batch)), and those rows are the slice's
/// alone, so the columns of the local Jacobian are the slices' blocks side by side: exact, no sum. The direction D that the
/// strategy computes from it is pushed back as in the local step (∂/∂θ_shared of Σᵣ ⟨Rᵣ, Dᵣ⟩), and that gradient is a sum
/// over rows, so the slices' parts add up to it.
/// </remarks>
public sealed class StepRepresentation
{
    /// <summary>An empty Jacobian (zeros) for <paramref name="tasks"/> tasks and a batch of <paramref name="rows"/> rows.</summary>
    /// <param name="tasks">T, the model's tasks.</param>
    /// <param name="rows">B, the batch's rows.</param>
    /// <param name="widths">wᵣ of each distinct representation.</param>
    /// <param name="taskRepresentations">The representation each task's head reads (−1: none), task order.</param>
    public StepRepresentation(int tasks, int rows, int[] widths, int[] taskRepresentations)
    {
        ArgumentNullException.ThrowIfNull(widths);
        ArgumentNullException.ThrowIfNull(taskRepresentations);
        if (taskRepresentations.Length != tasks)
            throw new ArgumentException($"{taskRepresentations.Length} task representations for {tasks} tasks.", nameof(taskRepresentations));
        Rows = rows;
        Widths = widths;
        TaskRepresentations = taskRepresentations;
        Columns = checked(rows * widths.Sum());
        Gradients = new double[checked(tasks * Columns)];
    }

    /// <summary>B, the batch's rows.</summary>
    public int Rows { get; }

    /// <summary>wᵣ of each distinct representation.</summary>
    public int[] Widths { get; }

    /// <summary>The representation each task's head reads (−1: none), task order.</summary>
    public int[] TaskRepresentations { get; }

    /// <summary>Σᵣ B·wᵣ, the columns of the Jacobian.</summary>
    public int Columns { get; }

    /// <summary>The Jacobian, T × <see cref="Columns"/>: row t is ∂lossₜ(batch)/∂R, representation r's B × wᵣ block after the ones before it.</summary>
    public double[] Gradients { get; }

    /// <summary>
    /// Round 2: given the direction on each representation (B·wᵣ values, row-major), the gradient of the shared parameters
    /// (∂/∂θ_shared of Σᵣ ⟨Rᵣ, Dᵣ⟩ over the batch, summed over the slices in slice order). Null until the implementer sets it.
    /// </summary>
    public Func<IReadOnlyList<double[]>, RepresentationPush>? Push { get; init; }

    /// <summary>
    /// Copies slice s's block (rows [<paramref name="start"/>, start + <paramref name="count"/>) of the batch) into the
    /// Jacobian, row t scaled by fₛₜ (a task with fₛₜ = 0 has no label on the slice and adds nothing). Checks that the slice saw the
    /// same representations as the others.
    /// </summary>
    /// <exception cref="ArgumentException">When the slice's representations or lengths differ from the step's.</exception>
    public void AddSlice<T>(int start, int count, RepresentationSlice<T> slice, IReadOnlyList<double> fractions) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(slice);
        ArgumentNullException.ThrowIfNull(fractions);
        if (count == 0) return;
        int tasks = TaskRepresentations.Length;
        if (!slice.Widths.AsSpan().SequenceEqual(Widths) || !slice.TaskRepresentations.AsSpan().SequenceEqual(TaskRepresentations) || fractions.Count != tasks)
            throw new ArgumentException($"The slice at row {start} has representations of widths [{string.Join(", ", slice.Widths)}] read by [{string.Join(", ", slice.TaskRepresentations)}], but the step's are [{string.Join(", ", Widths)}] read by [{string.Join(", ", TaskRepresentations)}]; every replica must be the same model.");
        int sliceColumns = count * Widths.Sum();
        if (slice.Gradients.Length != tasks * sliceColumns || start < 0 || start + count > Rows)
            throw new ArgumentException($"The slice at row {start} of {count} rows has {slice.Gradients.Length} representation gradient values, but {tasks} × {sliceColumns} are needed within {Rows} rows.");
        for (int t = 0; t < tasks; t++)
        {
            double f = fractions[t];
            if (f == 0) continue;
            var source = slice.Gradients.AsSpan(t * sliceColumns, sliceColumns);
            var row = Gradients.AsSpan(t * Columns, Columns);
            int from = 0, to = 0;
            foreach (int w in Widths)
            {
                var block = source.Slice(from, count * w);
                var target = row.Slice(to + start * w, count * w);
                for (int i = 0; i < block.Length; i++) target[i] = f * double.CreateChecked(block[i]);
                from += count * w;
                to += Rows * w;
            }
        }
    }

    /// <summary>Slice s's rows of the directions (each representation's n × wᵣ block in turn), rounded to T, for its round 2.</summary>
    /// <exception cref="ArgumentException">When a direction is not of its representation's size.</exception>
    public T[] SliceDirection<T>(IReadOnlyList<double[]> directions, int start, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(directions);
        if (directions.Count != Widths.Length)
            throw new ArgumentException($"{directions.Count} directions for {Widths.Length} representations.", nameof(directions));
        var result = new T[count * Widths.Sum()];
        int at = 0;
        for (int r = 0; r < Widths.Length; r++)
        {
            int w = Widths[r];
            if (directions[r].Length != Rows * w)
                throw new ArgumentException($"The direction on representation {r} has {directions[r].Length} values, but {Rows} rows × {w} are needed.", nameof(directions));
            var block = directions[r].AsSpan(start * w, count * w);
            for (int i = 0; i < block.Length; i++) result[at + i] = T.CreateChecked(block[i]);
            at += block.Length;
        }
        return result;
    }
}

public static partial class DataParallel
{
    /// <summary>
    /// Refuses a strategy on the shared representation (<c>rep_grad</c>, MGDA-UB) over slices of a model with synchronized
    /// modules: batch normalization, the joint alignment and the mean fill couple the slices' rows, so a slice's rows of the
    /// representation gradient are not its own alone (not built; the slices would have to meet in both rounds).
    /// </summary>
    /// <exception cref="ArgumentException">Naming the way out.</exception>
    public static void CheckRepresentationSlices<T>(MultiTaskModel<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        if (IsSynchronized(model))
            throw new ArgumentException($"{model.GetType().Name} has synchronized modules (batch normalization, the joint alignment or the mean fill), and rep_grad/mgda-ub over slices is built only for models without them; aggregate on the shared parameters (rep_grad false) or train locally.");
    }

    /// <summary>
    /// The distinct representations of a slice's forward pass in the order of <see cref="ModelOutput{T}.Representations"/>'
    /// values (as the local step's Jacobian takes them), their widths, and the one each task's head reads (−1: none).
    /// </summary>
    /// <exception cref="ArgumentException">When a representation is not one row per sample (its first dimension is not the slice's rows).</exception>
    private static (List<MtlTensor<T>> Tensors, int[] Widths, int[] Tasks) SliceRepresentations<T>(MultiTaskModel<T> model, ModelOutput<T> output, int rows)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var tensors = new List<MtlTensor<T>>();
        foreach (var r in output.Representations.Values)
        {
            if (tensors.Any(x => ReferenceEquals(x, r))) continue;
            if (r.Rank < 1 || r.Shape[0] != rows)
                throw new ArgumentException($"{model.GetType().Name} gives a representation of shape {MtlTensor<T>.ShapeText(r.Shape)} for a slice of {rows} rows; rep_grad over slices needs one row per sample (train it locally).");
            tensors.Add(r);
        }
        var tasks = new int[model.Tasks.Count];
        for (int t = 0; t < tasks.Length; t++)
            tasks[t] = output.Representations.TryGetValue(model.Tasks[t].Name, out var r) ? tensors.FindIndex(x => ReferenceEquals(x, r)) : -1;
        return (tensors, tensors.Select(x => x.Length / rows).ToArray(), tasks);
    }

    /// <summary>Whether each parameter of <see cref="Module{T}.Parameters"/> is a task parameter (role <see cref="ParameterRole.Task"/>), and whether it is shared.</summary>
    private static (bool[] Task, bool[] Shared) Roles<T>(MultiTaskModel<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var parameters = model.Parameters();
        var task = new HashSet<MtlTensor<T>>(ReferenceEqualityComparer.Instance);
        var shared = new HashSet<MtlTensor<T>>(ReferenceEqualityComparer.Instance);
        foreach (var (name, p) in model.NamedParameters())
            (model.RoleOf(name).Role == ParameterRole.Task ? task : shared).Add(p);
        return (parameters.Select(task.Contains).ToArray(), parameters.Select(shared.Contains).ToArray());
    }

    /// <summary>
    /// Round 1 of a <c>rep_grad</c> slice, after the forward: one backward pass per task to the distinct representations and
    /// the task parameters (as the local step's Jacobian, <c>StepJacobian</c>), the representation gradients into
    /// <paramref name="representation"/> and the task parameters' into their places of <paramref name="gradients"/> (T × P).
    /// </summary>
    private static void RepresentationTaskGradients<T>(MultiTaskModel<T> model, ModelOutput<T> output, IReadOnlyList<MtlTensor<T>> losses, int rows,
        Span<T> gradients, Span<bool> reached, RepresentationSlice<T> representation, bool retainLast) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var parameters = model.Parameters();
        int length = ParameterLength(model), tasks = model.Tasks.Count;
        var (tensors, widths, taskRepresentations) = SliceRepresentations(model, output, rows);
        var (isTask, _) = Roles(model);
        var taskParameters = Enumerable.Range(0, parameters.Count).Where(k => isTask[k]).ToArray();
        var offsets = new int[parameters.Count];
        for (int k = 1; k < offsets.Length; k++) offsets[k] = offsets[k - 1] + parameters[k - 1].Length;
        int columns = rows * widths.Sum();
        representation.Widths = widths;
        representation.TaskRepresentations = taskRepresentations;
        representation.Gradients = new T[tasks * columns];
        MtlTensor<T>[] inputs = [.. tensors, .. taskParameters.Select(k => parameters[k])];
        for (int t = 0; t < tasks; t++)
        {
            if (!losses[t].RequiresGrad) continue;
            var row = Grad.Of(losses[t], inputs, retainGraph: t < tasks - 1 || retainLast);
            int at = t * columns;
            for (int r = 0; r < tensors.Count; r++)
            {
                if (row[r] is { } g) g.Contiguous().To(Device.Cpu).AsSpan().CopyTo(representation.Gradients.AsSpan(at, tensors[r].Length));
                at += tensors[r].Length;
            }
            for (int j = 0; j < taskParameters.Length; j++)
            {
                int k = taskParameters[j];
                if (row[tensors.Count + j] is not { } g) continue;
                g.Contiguous().To(Device.Cpu).AsSpan().CopyTo(gradients.Slice(t * length + offsets[k], parameters[k].Length));
                reached[t * parameters.Count + k] = true;
            }
        }
    }

    /// <summary>
    /// Round 2 of a <c>rep_grad</c> slice on a replica (its parameters set as in round 1): the slice's forward pass again, from
    /// the same generator positions (so the same dropout masks), then the gradient of Σᵣ ⟨Rᵣ(slice), Dᵣ(slice)⟩ with respect
    /// to the shared parameters — the local step's push of the aggregated direction through the shared part, on the slice's
    /// rows — written flat into <paramref name="gradient"/> (zeros elsewhere), with the shared parameters it reached flagged.
    /// The forward is recomputed rather than kept, so round 2 may run on any replica (a silo that died after round 1 loses nothing).
    /// </summary>
    /// <param name="model">The replica.</param>
    /// <param name="data">The replica's data set.</param>
    /// <param name="rows">The slice's rows.</param>
    /// <param name="direction">The slice's rows of the direction, each representation's block in turn (<see cref="StepRepresentation.SliceDirection{T}"/>).</param>
    /// <param name="gradient">Receives the P values.</param>
    /// <param name="reached">Receives the K flags.</param>
    /// <param name="draws">Where the slice lies in the batch and the generators' positions at the step's start, for a model with dropout; null: none.</param>
    /// <exception cref="ArgumentException">When a length does not match the model's.</exception>
    public static void SliceRepresentationBackward<T>(MultiTaskModel<T> model, MultiTaskDataset<T> data, int[] rows, ReadOnlySpan<T> direction,
        Span<T> gradient, Span<bool> reached, SliceDraws? draws = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(rows);
        var parameters = model.Parameters();
        if (gradient.Length != ParameterLength(model) || reached.Length != parameters.Count)
            throw new ArgumentException($"The buffers hold {gradient.Length} gradient values and {reached.Length} flags, but the model has {ParameterLength(model)} values in {parameters.Count} parameters.");
        gradient.Clear();
        reached.Clear();
        if (rows.Length == 0) return;
        var (_, output) = SliceForward(model, data, rows, draws);
        var (tensors, widths, _) = SliceRepresentations(model, output, rows.Length);
        if (direction.Length != rows.Length * widths.Sum())
            throw new ArgumentException($"The direction has {direction.Length} values, but the slice's {rows.Length} rows of representations of widths [{string.Join(", ", widths)}] need {rows.Length * widths.Sum()}.");
        MtlTensor<T>? surrogate = null;
        int at = 0;
        foreach (var r in tensors)
        {
            var d = MtlTensor.FromArray(direction.Slice(at, r.Length).ToArray(), r.Shape.ToArray());
            at += r.Length;
            if (!r.RequiresGrad) continue;
            var term = (r * d).Sum();
            surrogate = surrogate is null ? term : surrogate + term;
        }
        if (surrogate is null) return;
        var (_, isShared) = Roles(model);
        var shared = Enumerable.Range(0, parameters.Count).Where(k => isShared[k]).ToArray();
        var grads = Grad.Of(surrogate, shared.Select(k => parameters[k]).ToArray());
        var offsets = new int[parameters.Count];
        for (int k = 1; k < offsets.Length; k++) offsets[k] = offsets[k - 1] + parameters[k - 1].Length;
        for (int j = 0; j < shared.Length; j++)
        {
            if (grads[j] is not { } g) continue;
            int k = shared[j];
            g.Contiguous().To(Device.Cpu).AsSpan().CopyTo(gradient.Slice(offsets[k], parameters[k].Length));
            reached[k] = true;
        }
    }

    /// <summary>
    /// Adds slice s's round-2 reply into the step's sum, in double (call it in slice order): gradient += the slice's,
    /// reached |= the slice's flags.
    /// </summary>
    /// <exception cref="ArgumentException">When a length does not match the sum.</exception>
    public static void AddPush<T>(RepresentationPush sum, ReadOnlySpan<T> gradient, ReadOnlySpan<bool> reached) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(sum);
        if (gradient.Length != sum.Gradient.Length || reached.Length != sum.Reached.Length)
            throw new ArgumentException($"The slice's push has {gradient.Length} values and {reached.Length} flags, but the step's has {sum.Gradient.Length} and {sum.Reached.Length}.");
        for (int i = 0; i < gradient.Length; i++) sum.Gradient[i] += double.CreateChecked(gradient[i]);
        for (int i = 0; i < reached.Length; i++) sum.Reached[i] |= reached[i];
    }

    /// <summary>
    /// The surrogate step's representations (<see cref="SurrogateStep{T}"/>): one leaf tensor (B, wᵣ) per distinct representation,
    /// each task's loss given + Σᵣ Σ((Rᵣ − detach Rᵣ) ⊙ Jₜᵣ), and the hook that pushes a direction on them through the slices.
    /// </summary>
    private static (Dictionary<string, MtlTensor<T>> Representations, Func<IReadOnlyList<MtlTensor<T>>, IReadOnlyList<MtlTensor<T>>, List<(MtlTensor<T>, MtlTensor<T>)>> Push)
        SurrogateRepresentations<T>(MultiTaskModel<T> model, StepRepresentation representation, Dictionary<string, MtlTensor<T>> losses)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tasks = model.Tasks.Count, rows = representation.Rows;
        var leaves = representation.Widths.Select(w => MtlTensor.Zeros<T>(rows, w)).ToArray();
        foreach (var leaf in leaves) leaf.RequiresGrad = true;
        for (int t = 0; t < tasks; t++)
        {
            var name = model.Tasks[t].Name;
            var loss = losses[name];
            int at = t * representation.Columns;
            for (int r = 0; r < leaves.Length; r++)
            {
                int count = rows * representation.Widths[r];
                var block = representation.Gradients.AsSpan(at, count);
                at += count;
                if (!block.ContainsAnyExcept(0.0)) continue;
                var values = new T[count];
                for (int i = 0; i < count; i++) values[i] = T.CreateChecked(block[i]);
                loss = loss + ((leaves[r] - leaves[r].Detach()) * MtlTensor.FromArray(values, rows, representation.Widths[r])).Sum();
            }
            losses[name] = loss;
        }
        // Keys in the order of the representations (as the slices' outputs give them), so the strategy's Jacobian takes its
        // columns in the local order.
        var map = new Dictionary<string, MtlTensor<T>>();
        foreach (int t in Enumerable.Range(0, tasks).Where(t => representation.TaskRepresentations[t] >= 0).OrderBy(t => representation.TaskRepresentations[t]))
            map[model.Tasks[t].Name] = leaves[representation.TaskRepresentations[t]];
        var parameters = model.Parameters();
        List<(MtlTensor<T>, MtlTensor<T>)> Push(IReadOnlyList<MtlTensor<T>> targets, IReadOnlyList<MtlTensor<T>> directions)
        {
            var push = representation.Push ?? throw new InvalidOperationException("The step's representation gradients came without a way to push a direction back to the slices.");
            var flat = new double[leaves.Length][];
            for (int r = 0; r < leaves.Length; r++) flat[r] = new double[leaves[r].Length];
            for (int k = 0; k < targets.Count; k++)
            {
                int r = Array.FindIndex(leaves, l => ReferenceEquals(l, targets[k]));
                if (r < 0) throw new ArgumentException("A target of the push is not one of the step's representations.", nameof(targets));
                var values = directions[k].Contiguous().To(Device.Cpu).AsSpan();
                for (int i = 0; i < values.Length; i++) flat[r][i] = double.CreateChecked(values[i]);
            }
            var result = push(flat);
            var pairs = new List<(MtlTensor<T>, MtlTensor<T>)>();
            int at = 0;
            for (int k = 0; k < parameters.Count; k++)
            {
                if (result.Reached[k]) pairs.Add((parameters[k], LikeParameter(parameters[k], result.Gradient.AsSpan(at, parameters[k].Length))));
                at += parameters[k].Length;
            }
            return pairs;
        }
        return (map, Push);
    }
}
