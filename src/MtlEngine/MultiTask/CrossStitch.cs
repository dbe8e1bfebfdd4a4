using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// Cross-stitch networks (Misra et al., "Cross-stitch Networks for Multi-task Learning", CVPR 2016): one column (a
/// multilayer perceptron) per task over the fused encodings x, and after each layer l a cross-stitch unit, a learned
/// T×T matrix αˡ that mixes the columns' activations:
/// <code>
/// hₜ⁰ = x,   zₜˡ = ReLU(Wₜˡ·h̃ₜˡ⁻¹ + bₜˡ),   h̃ₜˡ = Σₛ αˡₜ,ₛ · zₛˡ        (h̃ₜ⁰ = x)
/// outputₜ = headₜ(towerₜ(h̃ₜᴸ))
/// </code>
/// α starts as the paper's near-identity convex mix: αₜ,ₜ = 0.9 and αₜ,ₛ = 0.1/(T − 1) for s ≠ t (with one task, α = 1).
/// With α = I the model is T independent networks. Parameter names: <c>columns.TASK.0.weight</c>, <c>columns.TASK.2.weight</c>,
/// … (as a <see cref="HardParameterSharing{T}"/> trunk), <c>cross_stitch.L.alpha</c> (T, T), <c>towers.TASK.…</c>,
/// <c>heads.TASK.weight</c>. Through the units every column reaches every task, so the columns and the units are shared
/// (as LibMTL counts them); each tower and head belongs to its task. Task t's representation is h̃ₜᴸ.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class CrossStitch<T> : FusedInputModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T>[] _columns;
    private readonly CrossStitchUnit<T>[] _units;
    private readonly TaskTowers<T> _towers;

    /// <summary>Builds the model with seeded weights and near-identity cross-stitch units.</summary>
    /// <param name="encoders">Input name → its encoder, in fusion order.</param>
    /// <param name="tasks">The tasks, one column each.</param>
    /// <param name="hidden">Each column's widths (Linear → ReLU per width), a cross-stitch unit after each; at least one.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="towerHidden">Each task tower's widths (null or empty: the head reads the last stitched layer).</param>
    /// <param name="dropout">Dropout after each activation of the columns and towers (0: none).</param>
    /// <param name="fusion">The fusion of the encodings (null: concatenation).</param>
    /// <exception cref="ArgumentException">When <paramref name="hidden"/> is empty or a width is not positive.</exception>
    public CrossStitch(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<TaskSpec> tasks, IReadOnlyList<int> hidden,
        TensorRandom random, IReadOnlyList<int>? towerHidden = null, double dropout = 0, Fusion<T>? fusion = null)
        : base(encoders, tasks, fusion)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArchitectureParts.CheckWidths(hidden, nameof(hidden));
        if (hidden.Count == 0) throw new ArgumentException("A cross-stitch network needs at least one layer per column (hidden is empty).", nameof(hidden));
        var columns = RegisterModule("columns", new ModuleDict<T>());
        _columns = tasks.Select((t, i) => columns.Add(t.Name, ArchitectureParts.Perceptron<T>(FusedWidth, hidden, random, dropout, stream: i))).ToArray();
        var units = RegisterModule("cross_stitch", new ModuleList<T>());
        _units = new CrossStitchUnit<T>[hidden.Count];
        for (int l = 0; l < hidden.Count; l++) units.Append(_units[l] = new CrossStitchUnit<T>(tasks.Count));
        RepresentationWidth = hidden[^1];
        _towers = RegisterTaskTowers(RepresentationWidth, towerHidden, random, dropout);
        DeclareShared("columns");
        DeclareShared("cross_stitch");
    }

    /// <summary>The width of each task's representation (the columns' last width).</summary>
    public int RepresentationWidth { get; }

    /// <summary>The cross-stitch units, one per layer.</summary>
    public IReadOnlyList<CrossStitchUnit<T>> Units => _units;

    /// <summary>The last shared layer: the last weight of every task's column (all of them, side by side).</summary>
    public override IReadOnlyList<MtlTensor<T>> LastSharedLayer() => _columns.Select(ArchitectureParts.LastWeight).ToArray();

    /// <inheritdoc />
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var (x, alignment) = EncodeWithAlignment(batch);
        var inputs = Enumerable.Repeat(x, Tasks.Count).ToArray();
        int unit = 0;
        var layers = _columns[0].Layers; // every column has the same layers
        for (int i = 0; i < layers.Count; i++)
        {
            for (int t = 0; t < inputs.Length; t++) inputs[t] = _columns[t].Layers[i].Forward(inputs[t]);
            bool layerEnds = i == layers.Count - 1 || layers[i + 1] is Linear<T>;
            if (!layerEnds) continue;
            var stitched = _units[unit++].Forward(MtlTensor.Stack(inputs, axis: 0));
            for (int t = 0; t < inputs.Length; t++) inputs[t] = stitched.Select(0, t);
        }
        return WithAuxiliary(_towers.Outputs(Tasks, inputs), alignment);
    }

    /// <summary>A model with one dense input: the task outputs side by side, (n, Σ outputs), in task order.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => MtlTensor.Concatenate(ForwardTasks(input), axis: 1);
}

/// <summary>
/// A cross-stitch unit (Misra et al. 2016, eq. 1) for T tasks: the activations of the T columns, stacked as (T, …), mixed by
/// the learned matrix α (parameter <c>alpha</c>, (T, T)): h̃ₜ = Σₛ αₜ,ₛ·hₛ, one matrix product over the flattened activations.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class CrossStitchUnit<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the unit with the paper's initialization: αₜ,ₜ = 0.9, αₜ,ₛ = 0.1/(T − 1) (α = 1 for one task).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="tasks"/> &lt; 1.</exception>
    public CrossStitchUnit(int tasks)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tasks, 1);
        Tasks = tasks;
        var alpha = new T[tasks * tasks];
        for (int t = 0; t < tasks; t++)
            for (int s = 0; s < tasks; s++)
                alpha[t * tasks + s] = tasks == 1 ? T.One : T.CreateChecked(t == s ? 0.9 : 0.1 / (tasks - 1));
        Alpha = RegisterParameter("alpha", MtlTensor.FromArray(alpha, tasks, tasks));
    }

    /// <summary>T, the number of columns mixed.</summary>
    public int Tasks { get; }

    /// <summary>α, shape (T, T): row t holds the weights of the columns in task t's next input.</summary>
    public MtlTensor<T> Alpha { get; }

    /// <summary>The stacked activations (T, …) mixed across the first axis: α·H, same shape.</summary>
    /// <exception cref="ArgumentException">When the first axis is not T.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank < 1 || input.Shape[0] != Tasks)
            throw new ArgumentException($"A cross-stitch unit for {Tasks} tasks takes activations stacked as ({Tasks}, …), but got shape {MtlTensor<T>.ShapeText(input.Shape)}.");
        var shape = input.Shape.ToArray();
        return Alpha.Matmul(input.Reshape(Tasks, input.Length / Tasks)).Reshape(shape);
    }
}
