using System.Globalization;
using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// Progressive layered extraction, PLE (Tang et al., "Progressive Layered Extraction (PLE): A Novel Multi-Task Learning
/// (MTL) Model for Personalized Recommendations", RecSys 2020, section 4.2): L stacked extraction levels of
/// <see cref="CustomizedGateControl{T}"/>. Level l reads each task's input xₜˡ and a shared input xₛˡ (both x, the fused
/// encodings, at level 0); task t's gate mixes its own and the shared experts, and below the last level a shared gate
/// mixes every expert of the level into the next shared input:
/// <code>
/// xₜˡ⁺¹ = gₜˡ(xₜˡ)ᵀ [Eₜˡ(xₜˡ), Eₛˡ(xₛˡ)]
/// xₛˡ⁺¹ = gₛˡ(xₛˡ)ᵀ [E₁ˡ(x₁ˡ), …, E_Tˡ(x_Tˡ), Eₛˡ(xₛˡ)]       (l &lt; L − 1)
/// outputₜ = headₜ(towerₜ(xₜᴸ))
/// </code>
/// Parameter names: <c>levels.L.shared_experts.I.0.weight</c>, <c>levels.L.task_experts.TASK.I.0.weight</c>,
/// <c>levels.L.gates.TASK.weight</c>, <c>levels.L.shared_gate.weight</c> (below the last level), <c>towers.TASK.…</c>,
/// <c>heads.TASK.weight</c>.
/// <para>
/// Roles follow what each parameter reaches: the shared gate carries every expert of its level into every task, so a
/// task's experts are its own only at the last level, and a task's gate (which feeds the task's experts of the next
/// level) only at the last two levels; everything else under <c>levels</c> is shared.
/// </para>
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class ProgressiveLayeredExtraction<T> : FusedInputModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ExtractionLevel<T>[] _levels;
    private readonly TaskTowers<T> _towers;

    /// <summary>Builds the model with seeded weights.</summary>
    /// <param name="encoders">Input name → its encoder, in fusion order.</param>
    /// <param name="tasks">The tasks.</param>
    /// <param name="levels">L, the number of extraction levels (1: CGC).</param>
    /// <param name="sharedExperts">The number of shared experts per level (at least 1 when L &gt; 1).</param>
    /// <param name="taskExperts">The number of experts of each task per level.</param>
    /// <param name="expertHidden">Each expert's widths; the last is h, the width every level passes on.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="towerHidden">Each task tower's widths (null or empty: the head reads the last level's mixture).</param>
    /// <param name="dropout">Dropout after each activation of the experts and towers (0: none).</param>
    /// <param name="fusion">The fusion of the encodings (null: concatenation).</param>
    /// <exception cref="ArgumentException">When L &lt; 1, a count is negative, a gate would have no expert, or a width is not positive.</exception>
    public ProgressiveLayeredExtraction(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<TaskSpec> tasks, int levels,
        int sharedExperts, int taskExperts, IReadOnlyList<int> expertHidden, TensorRandom random, IReadOnlyList<int>? towerHidden = null,
        double dropout = 0, Fusion<T>? fusion = null)
        : base(encoders, tasks, fusion)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(expertHidden);
        if (levels < 1) throw new ArgumentException($"PLE needs at least one level, but got {levels}.", nameof(levels));
        if (expertHidden.Count == 0) throw new ArgumentException("PLE's experts need at least one width (expertHidden is empty).", nameof(expertHidden));
        LevelCount = levels;
        RepresentationWidth = expertHidden[^1];
        var levelList = RegisterModule("levels", new ModuleList<T>());
        _levels = new ExtractionLevel<T>[levels];
        int stream = 0;
        for (int l = 0; l < levels; l++)
        {
            var level = new ModuleDict<T>();
            levelList.Append(level);
            int inputs = l == 0 ? FusedWidth : RepresentationWidth;
            _levels[l] = new ExtractionLevel<T>((name, module) => level.Add(name, module), tasks, inputs, sharedExperts, taskExperts, expertHidden,
                sharedGate: l < levels - 1, random, dropout, stream);
            stream += sharedExperts + tasks.Count * taskExperts;
        }
        _towers = RegisterTaskTowers(RepresentationWidth, towerHidden, random, dropout);
        DeclareShared("levels");
        foreach (var task in tasks)
        {
            DeclareTask(task.Name, Level(levels - 1) + ".task_experts." + task.Name);
            for (int l = Math.Max(0, levels - 2); l < levels; l++) DeclareTask(task.Name, Level(l) + ".gates." + task.Name);
        }
    }

    private static string Level(int l) => "levels." + l.ToString(CultureInfo.InvariantCulture);

    /// <summary>L, the number of extraction levels.</summary>
    public int LevelCount { get; }

    /// <summary>h, the width of each task's mixture.</summary>
    public int RepresentationWidth { get; }

    /// <summary>The last shared layer: the last weight of every shared expert of the last level, side by side (without them, the base's).</summary>
    public override IReadOnlyList<MtlTensor<T>> LastSharedLayer() => _levels[^1].SharedExpertWeights() is { Length: > 0 } weights ? weights : base.LastSharedLayer();

    /// <inheritdoc />
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var (x, alignment) = EncodeWithAlignment(batch);
        var taskInputs = Enumerable.Repeat(x, Tasks.Count).ToArray();
        var shared = x;
        foreach (var level in _levels)
        {
            var (next, nextShared) = level.Forward(taskInputs, shared);
            taskInputs = next;
            shared = nextShared!; // null after the last level only
        }
        return WithAuxiliary(_towers.Outputs(Tasks, taskInputs), alignment);
    }

    /// <summary>A model with one dense input: the task outputs side by side, (n, Σ outputs), in task order.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => MtlTensor.Concatenate(ForwardTasks(input), axis: 1);
}
