using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// Hard parameter sharing (Caruana 1997) over several inputs: each input's encoder, the encodings fused (by
/// concatenation unless another <see cref="Fusion{T}"/> is given), a shared trunk of Linear → ReLU (→ Dropout) layers,
/// and one Linear head per task:
/// <code>
/// r = trunk(fusion(enc₁(x₁), …, enc_m(x_m))),   outputₜ = headₜ(r)
/// </code>
/// Parameter names: <c>encoders.INPUT.…</c>, <c>fusion.…</c>, <c>trunk.0.weight</c>, …, <c>heads.TASK.weight</c>. The
/// encoders, the fusion and the trunk are shared; each head belongs to its task. Every task reads the same
/// representation r.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class HardParameterSharing<T> : FusedInputModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Linear<T>[] _heads;
    private readonly Sequential<T> _trunk;

    /// <summary>Builds the model with seeded weights.</summary>
    /// <param name="encoders">Input name → its encoder, in fusion order.</param>
    /// <param name="hidden">The trunk's widths (none: the heads read the fused encodings).</param>
    /// <param name="tasks">The tasks, one head each.</param>
    /// <param name="random">The generator of the trunk's and heads' initial weights.</param>
    /// <param name="dropout">Dropout after each trunk activation (0: none).</param>
    /// <param name="fusion">The fusion of the encodings (null: concatenation).</param>
    /// <exception cref="ArgumentException">When there is no encoder or task, or two tasks share a name.</exception>
    public HardParameterSharing(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<int> hidden, IReadOnlyList<TaskSpec> tasks,
        TensorRandom random, double dropout = 0, Fusion<T>? fusion = null)
        : base(encoders, tasks, fusion)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(random);
        _trunk = RegisterModule("trunk", Sequential<T>.Perceptron(FusedWidth, hidden, random, dropout));
        int width = hidden.Count > 0 ? hidden[^1] : FusedWidth;
        RepresentationWidth = width;
        var heads = RegisterModule("heads", new ModuleDict<T>());
        _heads = tasks.Select(t => heads.Add(t.Name, new Linear<T>(width, t.Outputs, random))).ToArray();
        DeclareShared("trunk");
        foreach (var task in tasks) DeclareTask(task.Name, "heads." + task.Name);
    }

    /// <summary>The width of the shared representation the heads read.</summary>
    public int RepresentationWidth { get; }

    /// <summary>The shared representation of a batch: the trunk over the fused encodings.</summary>
    public MtlTensor<T> Represent(Batch<T> batch) => _trunk.Forward(EncodeInputs(batch));

    /// <inheritdoc />
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var (x, alignment) = EncodeWithAlignment(batch);
        var representation = _trunk.Forward(x);
        var outputs = new Dictionary<string, MtlTensor<T>>();
        var representations = new Dictionary<string, MtlTensor<T>>();
        for (int t = 0; t < _heads.Length; t++)
        {
            outputs[Tasks[t].Name] = _heads[t].Forward(representation);
            representations[Tasks[t].Name] = representation;
        }
        return WithAuxiliary(new ModelOutput<T>(outputs, representations), alignment);
    }

    /// <summary>A model with one dense input: the shared representation of <paramref name="input"/>.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => Represent(SingleInputBatch(input));
}
