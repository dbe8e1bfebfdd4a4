using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// Multi-gate mixture of experts, MMoE (Ma et al., "Modeling Task Relationships in Multi-task Learning with Multi-gate
/// Mixture-of-Experts", KDD 2018): E experts (multilayer perceptrons) over the fused encodings x, and per task a softmax
/// gate that mixes them before the task's tower and head:
/// <code>
/// gₜ(x) = softmax(Wₜ·x + bₜ)                  (n, E)
/// rₜ    = Σₑ gₜ,ₑ(x) · expertₑ(x)             (n, h)
/// outputₜ = headₜ(towerₜ(rₜ))
/// </code>
/// Parameter names: <c>encoders.…</c>, <c>fusion.…</c>, <c>experts.E.0.weight</c> (expert E's first layer), …,
/// <c>gates.TASK.weight</c>, <c>towers.TASK.0.weight</c> (when towers have widths), <c>heads.TASK.weight</c>. The experts
/// are shared; each gate, tower and head belongs to its task. Task t's representation is its mixture rₜ. With one
/// expert every gate is 1 and the model is <see cref="HardParameterSharing{T}"/> with the expert as its trunk.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class MultiGateMixtureOfExperts<T> : FusedInputModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T>[] _experts;
    private readonly Linear<T>[] _gates;
    private readonly TaskTowers<T> _towers;

    /// <summary>Builds the model with seeded weights.</summary>
    /// <param name="encoders">Input name → its encoder, in fusion order.</param>
    /// <param name="tasks">The tasks, one gate, tower and head each.</param>
    /// <param name="experts">E, the number of experts (at least 1).</param>
    /// <param name="expertHidden">Each expert's widths (Linear → ReLU per width); the last is the representation's width h.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="towerHidden">Each task tower's widths (null or empty: the head reads the mixture).</param>
    /// <param name="dropout">Dropout after each activation of the experts and towers (0: none).</param>
    /// <param name="fusion">The fusion of the encodings (null: concatenation).</param>
    /// <exception cref="ArgumentException">When E &lt; 1, the expert has no layer, or a width is not positive.</exception>
    public MultiGateMixtureOfExperts(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<TaskSpec> tasks, int experts,
        IReadOnlyList<int> expertHidden, TensorRandom random, IReadOnlyList<int>? towerHidden = null, double dropout = 0, Fusion<T>? fusion = null)
        : base(encoders, tasks, fusion)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArchitectureParts.CheckWidths(expertHidden, nameof(expertHidden));
        if (experts < 1) throw new ArgumentException($"MMoE needs at least one expert, but got {experts}.", nameof(experts));
        if (expertHidden.Count == 0) throw new ArgumentException("MMoE's experts need at least one width (expertHidden is empty).", nameof(expertHidden));
        ExpertCount = experts;
        RepresentationWidth = expertHidden[^1];
        _experts = ArchitectureParts.Experts(RegisterModule("experts", new ModuleList<T>()), experts, FusedWidth, expertHidden, random, dropout, firstStream: 0);
        var gates = RegisterModule("gates", new ModuleDict<T>());
        _gates = tasks.Select(t => gates.Add(t.Name, new Linear<T>(FusedWidth, experts, random))).ToArray();
        _towers = RegisterTaskTowers(RepresentationWidth, towerHidden, random, dropout);
        DeclareShared("experts");
        DeclarePerTask("gates");
    }

    /// <summary>E, the number of experts.</summary>
    public int ExpertCount { get; }

    /// <summary>h, the width of each task's mixture.</summary>
    public int RepresentationWidth { get; }

    /// <summary>Each task's gate weights gₜ(x) on a batch, shape (n, E), rows summing to 1.</summary>
    public IReadOnlyDictionary<string, MtlTensor<T>> GateWeights(Batch<T> batch)
    {
        var x = EncodeInputs(batch);
        return Enumerable.Range(0, Tasks.Count).ToDictionary(t => Tasks[t].Name, t => _gates[t].Forward(x).Softmax(-1));
    }

    /// <summary>The last shared layer: the last weight of every expert (all of them, side by side).</summary>
    public override IReadOnlyList<MtlTensor<T>> LastSharedLayer() => _experts.Select(ArchitectureParts.LastWeight).ToArray();

    /// <inheritdoc />
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var (x, alignment) = EncodeWithAlignment(batch);
        var experts = ArchitectureParts.RunExperts(_experts, x);
        var representations = new MtlTensor<T>[Tasks.Count];
        for (int t = 0; t < Tasks.Count; t++)
            representations[t] = ArchitectureParts.Mix(_gates[t].Forward(x).Softmax(-1), experts);
        return WithAuxiliary(_towers.Outputs(Tasks, representations), alignment);
    }

    /// <summary>A model with one dense input: the task outputs side by side, (n, Σ outputs), in task order.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => MtlTensor.Concatenate(ForwardTasks(input), axis: 1);
}
