using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// Customized gate control, CGC (Tang et al., "Progressive Layered Extraction (PLE): A Novel Multi-Task Learning (MTL)
/// Model for Personalized Recommendations", RecSys 2020, section 4.1): shared experts used by every task, task-specific
/// experts used by one task, and per task a softmax gate over its own experts and the shared ones:
/// <code>
/// Sₜ(x) = [Eₜ,₁(x), …, Eₜ,mₜ(x), E_s,1(x), …, E_s,mₛ(x)]    (n, mₜ + mₛ, h)
/// gₜ(x) = softmax(Wₜ·x + bₜ)                                  (n, mₜ + mₛ)
/// rₜ    = gₜ(x)ᵀ Sₜ(x),   outputₜ = headₜ(towerₜ(rₜ))
/// </code>
/// Parameter names: <c>shared_experts.I.0.weight</c>, <c>task_experts.TASK.I.0.weight</c>, <c>gates.TASK.weight</c>,
/// <c>towers.TASK.…</c>, <c>heads.TASK.weight</c>. The shared experts (and encoders, fusion) are shared; a task's experts,
/// gate, tower and head belong to it. CGC is <see cref="ProgressiveLayeredExtraction{T}"/> with one level; with no task
/// experts and one shared expert it is <see cref="HardParameterSharing{T}"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class CustomizedGateControl<T> : FusedInputModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ExtractionLevel<T> _level;
    private readonly TaskTowers<T> _towers;

    /// <summary>Builds the model with seeded weights.</summary>
    /// <param name="encoders">Input name → its encoder, in fusion order.</param>
    /// <param name="tasks">The tasks.</param>
    /// <param name="sharedExperts">mₛ, the number of shared experts.</param>
    /// <param name="taskExperts">mₜ, the number of experts of each task.</param>
    /// <param name="expertHidden">Each expert's widths; the last is h.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="towerHidden">Each task tower's widths (null or empty: the head reads the mixture).</param>
    /// <param name="dropout">Dropout after each activation of the experts and towers (0: none).</param>
    /// <param name="fusion">The fusion of the encodings (null: concatenation).</param>
    /// <exception cref="ArgumentException">When a count is negative, a task would have no expert, or a width is not positive.</exception>
    public CustomizedGateControl(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<TaskSpec> tasks, int sharedExperts, int taskExperts,
        IReadOnlyList<int> expertHidden, TensorRandom random, IReadOnlyList<int>? towerHidden = null, double dropout = 0, Fusion<T>? fusion = null)
        : base(encoders, tasks, fusion)
    {
        ArgumentNullException.ThrowIfNull(random);
        _level = new ExtractionLevel<T>((name, module) => RegisterModule(name, module), tasks, FusedWidth, sharedExperts, taskExperts, expertHidden,
            sharedGate: false, random, dropout, stream: 0);
        RepresentationWidth = expertHidden[^1];
        _towers = RegisterTaskTowers(RepresentationWidth, towerHidden, random, dropout);
        DeclareShared("shared_experts");
        DeclarePerTask("task_experts");
        DeclarePerTask("gates");
    }

    /// <summary>h, the width of each task's mixture.</summary>
    public int RepresentationWidth { get; }

    /// <summary>The last shared layer: the last weight of every shared expert, side by side (without shared experts, the base's).</summary>
    public override IReadOnlyList<MtlTensor<T>> LastSharedLayer() => _level.SharedExpertWeights() is { Length: > 0 } weights ? weights : base.LastSharedLayer();

    /// <inheritdoc />
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var (x, alignment) = EncodeWithAlignment(batch);
        var (representations, _) = _level.Forward(Enumerable.Repeat(x, Tasks.Count).ToArray(), x);
        return WithAuxiliary(_towers.Outputs(Tasks, representations), alignment);
    }

    /// <summary>A model with one dense input: the task outputs side by side, (n, Σ outputs), in task order.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => MtlTensor.Concatenate(ForwardTasks(input), axis: 1);
}

/// <summary>
/// One extraction level of CGC and PLE: mₛ shared experts over the shared input, mₜ experts per task over that task's
/// input, per task a softmax gate (over the task's input) mixing its own experts and the shared ones, and optionally a
/// shared gate (over the shared input) mixing every expert of the level — the shared input of the next PLE level.
/// Registers <c>shared_experts</c>, <c>task_experts</c>, <c>gates</c> and (optionally) <c>shared_gate</c> through the
/// owner's registration callback, so that the names sit where the owner puts them.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
internal sealed class ExtractionLevel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T>[] _shared;
    private readonly Sequential<T>[][] _byTask;
    private readonly Linear<T>[] _gates;
    private readonly Linear<T>? _sharedGate;

    public ExtractionLevel(Func<string, Module<T>, Module<T>> register, IReadOnlyList<TaskSpec> tasks, int inputs, int sharedExperts, int taskExperts,
        IReadOnlyList<int> expertHidden, bool sharedGate, TensorRandom random, double dropout, int stream)
    {
        ArchitectureParts.CheckWidths(expertHidden, nameof(expertHidden));
        if (expertHidden.Count == 0) throw new ArgumentException("The experts need at least one width (expertHidden is empty).", nameof(expertHidden));
        if (sharedExperts < 0) throw new ArgumentException($"The number of shared experts cannot be negative ({sharedExperts}).", nameof(sharedExperts));
        if (taskExperts < 0) throw new ArgumentException($"The number of experts per task cannot be negative ({taskExperts}).", nameof(taskExperts));
        if (sharedExperts + taskExperts == 0) throw new ArgumentException("Each task's gate needs at least one expert: give shared or task experts.", nameof(sharedExperts));
        if (sharedGate && sharedExperts == 0)
            throw new ArgumentException("A PLE level below the last needs at least one shared expert (the shared gate's path to the next level).", nameof(sharedExperts));

        _shared = ArchitectureParts.Experts((ModuleList<T>)register("shared_experts", new ModuleList<T>()), sharedExperts, inputs, expertHidden, random, dropout, stream);
        var taskDict = (ModuleDict<T>)register("task_experts", new ModuleDict<T>());
        _byTask = new Sequential<T>[tasks.Count][];
        for (int t = 0; t < tasks.Count; t++)
            _byTask[t] = ArchitectureParts.Experts(taskDict.Add(tasks[t].Name, new ModuleList<T>()), taskExperts, inputs, expertHidden, random, dropout,
                stream + sharedExperts + t * taskExperts);
        var gates = (ModuleDict<T>)register("gates", new ModuleDict<T>());
        _gates = tasks.Select(t => gates.Add(t.Name, new Linear<T>(inputs, taskExperts + sharedExperts, random))).ToArray();
        if (sharedGate) _sharedGate = (Linear<T>)register("shared_gate", new Linear<T>(inputs, tasks.Count * taskExperts + sharedExperts, random));
    }

    /// <summary>The last weight of each shared expert, in order (empty without shared experts).</summary>
    public MtlTensor<T>[] SharedExpertWeights() => _shared.Select(ArchitectureParts.LastWeight).ToArray();

    /// <summary>
    /// The level on each task's input and the shared input: each task's mixture (n, h) and, with a shared gate, the shared
    /// mixture over every expert (task experts in task order, then the shared ones).
    /// </summary>
    public (MtlTensor<T>[] Tasks, MtlTensor<T>? Shared) Forward(MtlTensor<T>[] taskInputs, MtlTensor<T> sharedInput)
    {
        var shared = _shared.Select(e => e.Forward(sharedInput)).ToArray();
        var all = new List<MtlTensor<T>>();
        var mixtures = new MtlTensor<T>[taskInputs.Length];
        for (int t = 0; t < taskInputs.Length; t++)
        {
            var own = _byTask[t].Select(e => e.Forward(taskInputs[t])).ToArray();
            all.AddRange(own);
            var experts = MtlTensor.Stack([.. own, .. shared], axis: 1);
            mixtures[t] = ArchitectureParts.Mix(_gates[t].Forward(taskInputs[t]).Softmax(-1), experts);
        }
        if (_sharedGate is null) return (mixtures, null);
        all.AddRange(shared);
        var sharedMixture = ArchitectureParts.Mix(_sharedGate.Forward(sharedInput).Softmax(-1), MtlTensor.Stack(all, axis: 1));
        return (mixtures, sharedMixture);
    }
}
