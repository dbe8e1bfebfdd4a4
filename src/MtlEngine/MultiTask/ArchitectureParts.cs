using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// The pieces the architectures share: multilayer perceptrons (experts, columns, towers), the gated mixture of experts,
/// and the task-specific part that reads each task's representation (a tower of Linear → ReLU layers, then a Linear head).
/// </summary>
internal static class ArchitectureParts
{
    /// <summary>
    /// Linear → ReLU (→ Dropout) per width of <paramref name="hidden"/>, named <c>0.weight</c>, <c>2.weight</c>, ... as
    /// <see cref="Sequential{T}.Perceptron"/>; each dropout layer's seed depends on <paramref name="stream"/>, so that the
    /// experts of one model draw different masks.
    /// </summary>
    public static Sequential<T> Perceptron<T>(int inputs, IReadOnlyList<int> hidden, TensorRandom random, double dropout, int stream)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var layers = new Sequential<T>();
        int width = inputs;
        for (int l = 0; l < hidden.Count; l++)
        {
            layers.Append(new Linear<T>(width, hidden[l], random));
            layers.Append(new ReLU<T>());
            if (dropout > 0) layers.Append(new Dropout<T>(dropout, random.Seed + 1000UL + 64UL * (ulong)stream + (ulong)l));
            width = hidden[l];
        }
        return layers;
    }

    /// <summary>
    /// <paramref name="count"/> experts, perceptrons of <paramref name="hidden"/> widths over <paramref name="inputs"/> values,
    /// appended to <paramref name="list"/> in order; expert e draws its dropout masks from stream <paramref name="firstStream"/> + e.
    /// </summary>
    public static Sequential<T>[] Experts<T>(ModuleList<T> list, int count, int inputs, IReadOnlyList<int> hidden, TensorRandom random, double dropout,
        int firstStream) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var experts = new Sequential<T>[count];
        for (int e = 0; e < count; e++) list.Append(experts[e] = Perceptron<T>(inputs, hidden, random, dropout, firstStream + e));
        return experts;
    }

    /// <summary>The weight of the last Linear of a perceptron built by <see cref="Perceptron{T}"/> (an expert's, a column's).</summary>
    public static MtlTensor<T> LastWeight<T>(Sequential<T> perceptron) where T : unmanaged, IFloatingPointIeee754<T> =>
        perceptron.Layers.OfType<Linear<T>>().Last().Weight;

    /// <summary>Checks a list of widths given to an architecture (each positive).</summary>
    public static void CheckWidths(IReadOnlyList<int> widths, string name)
    {
        ArgumentNullException.ThrowIfNull(widths, name);
        for (int i = 0; i < widths.Count; i++)
            if (widths[i] < 1) throw new ArgumentException($"{name}[{i}] is {widths[i]}; every width must be at least 1.", name);
    }

    /// <summary>
    /// The gated mixture Σₑ gₑ·expertₑ row by row: <paramref name="gate"/> (n, E) weights, <paramref name="experts"/> the E
    /// expert outputs stacked as (n, E, h); the result is (n, h).
    /// </summary>
    public static MtlTensor<T> Mix<T>(MtlTensor<T> gate, MtlTensor<T> experts) where T : unmanaged, IFloatingPointIeee754<T> =>
        (gate.Unsqueeze(2) * experts).Sum(1);

    /// <summary>
    /// The outputs of <paramref name="experts"/> on <paramref name="x"/>, stacked as (n, E, h). The experts' first layers
    /// read the same x, so they run as one GEMM: x·[W₁; …; W_E]ᵀ + [b₁; …; b_E], (n, E·h₁), one wide product instead of
    /// E narrow ones (the weights stay one parameter per expert; their concatenation is a copy of E·h₁·d values a step,
    /// into the training step's reused buffer: <see cref="MtlTensor.ConcatenateInStep{T}"/>).
    /// The rest of each expert then runs on its slice. <see cref="RunExpertsOneByOne"/> is the textbook twin; the fused
    /// path applies when the first layers are Linear → ReLU without dropout (dropout draws its masks per expert).
    /// </summary>
    public static MtlTensor<T> RunExperts<T>(IReadOnlyList<Sequential<T>> experts, MtlTensor<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (experts.Count < 2 || !FusesFirstLayer(experts[0])) return RunExpertsOneByOne(experts, x);
        var first = experts.Select(e => (Linear<T>)e.Layers[0]).ToArray();
        int width = first[0].OutFeatures;
        var weight = MtlTensor.ConcatenateInStep(first.Select(l => l.Weight).ToArray(), axis: 0);   // (E·h₁, d), the arena step's buffer
        var bias = MtlTensor.ConcatenateInStep(first.Select(l => l.Bias!).ToArray(), axis: 0);      // (E·h₁)
        var hidden = (x.Matmul(weight.Transpose()) + bias).Relu().Reshape(x.Shape[0], experts.Count, width); // (n, E, h₁)
        if (experts[0].Layers.Count == 2) return hidden;
        var outputs = new MtlTensor<T>[experts.Count];
        for (int e = 0; e < experts.Count; e++)
        {
            var h = hidden.Select(1, e);
            for (int i = 2; i < experts[e].Layers.Count; i++) h = experts[e].Layers[i].Forward(h);
            outputs[e] = h;
        }
        return MtlTensor.Stack(outputs, axis: 1);
    }

    /// <summary>Whether an expert starts with Linear (with bias) → ReLU and no dropout before its next layer.</summary>
    private static bool FusesFirstLayer<T>(Sequential<T> expert) where T : unmanaged, IFloatingPointIeee754<T> =>
        expert.Layers.Count >= 2 && expert.Layers[0] is Linear<T> { Bias: not null } && expert.Layers[1] is ReLU<T>
        && (expert.Layers.Count == 2 || expert.Layers[2] is Linear<T>);

    /// <summary>The textbook twin of <see cref="RunExperts"/>: each expert on x, stacked as (n, E, h).</summary>
    public static MtlTensor<T> RunExpertsOneByOne<T>(IReadOnlyList<Sequential<T>> experts, MtlTensor<T> x) where T : unmanaged, IFloatingPointIeee754<T> =>
        MtlTensor.Stack(experts.Select(e => e.Forward(x)).ToArray(), axis: 1);

    /// <summary>The output width of a perceptron of <paramref name="hidden"/> widths over <paramref name="inputs"/> values.</summary>
    public static int Width(int inputs, IReadOnlyList<int> hidden) => hidden.Count > 0 ? hidden[^1] : inputs;
}

/// <summary>
/// The task-specific part of an architecture: per task a tower (Linear → ReLU per width, none by default) and a Linear
/// head, registered as <c>towers.TASK.0.weight</c>, ... and <c>heads.TASK.weight</c>, both owned by the task.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal sealed class TaskTowers<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T>[] _towers;
    private readonly Linear<T>[] _heads;

    public TaskTowers(ModuleDict<T> towers, ModuleDict<T> heads, IReadOnlyList<TaskSpec> tasks, int width, IReadOnlyList<int> towerHidden,
        TensorRandom random, double dropout)
    {
        ArchitectureParts.CheckWidths(towerHidden, nameof(towerHidden));
        _towers = new Sequential<T>[tasks.Count];
        _heads = new Linear<T>[tasks.Count];
        for (int t = 0; t < tasks.Count; t++)
        {
            _towers[t] = towers.Add(tasks[t].Name, ArchitectureParts.Perceptron<T>(width, towerHidden, random, dropout, stream: 512 + t));
            _heads[t] = heads.Add(tasks[t].Name, new Linear<T>(ArchitectureParts.Width(width, towerHidden), tasks[t].Outputs, random));
        }
    }

    /// <summary>Task <paramref name="t"/>'s output from its representation: headₜ(towerₜ(r)).</summary>
    public MtlTensor<T> Output(int t, MtlTensor<T> representation) => _heads[t].Forward(_towers[t].Forward(representation));

    /// <summary>The outputs and representations of every task, as a model returns them.</summary>
    public ModelOutput<T> Outputs(IReadOnlyList<TaskSpec> tasks, IReadOnlyList<MtlTensor<T>> representations)
    {
        var outputs = new Dictionary<string, MtlTensor<T>>();
        var byTask = new Dictionary<string, MtlTensor<T>>();
        for (int t = 0; t < tasks.Count; t++)
        {
            outputs[tasks[t].Name] = Output(t, representations[t]);
            byTask[tasks[t].Name] = representations[t];
        }
        return new ModelOutput<T>(outputs, byTask);
    }
}
