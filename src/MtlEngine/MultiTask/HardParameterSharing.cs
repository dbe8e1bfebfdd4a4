using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// Hard parameter sharing (Caruana 1997) over several inputs: each input's encoder, the encoded inputs fused by
/// concatenation (early fusion), a shared trunk of Linear → ReLU (→ Dropout) layers, and one Linear head per task:
/// <code>
/// r = trunk([enc₁(x₁), …, enc_m(x_m)]),   outputₜ = headₜ(r)
/// </code>
/// Parameter names: <c>encoders.INPUT.…</c>, <c>trunk.0.weight</c>, …, <c>heads.TASK.weight</c>. The encoders and the
/// trunk are shared; each head belongs to its task. Every task reads the same representation r.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class HardParameterSharing<T> : MultiTaskModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly (string Name, InputEncoder<T> Encoder)[] _encoders;
    private readonly Linear<T>[] _heads;
    private readonly Sequential<T> _trunk;
    private readonly string[] _inputNames;

    /// <summary>Builds the model with seeded weights.</summary>
    /// <param name="encoders">Input name → its encoder, in fusion order.</param>
    /// <param name="hidden">The trunk's widths (none: the heads read the fused encodings).</param>
    /// <param name="tasks">The tasks, one head each.</param>
    /// <param name="random">The generator of the trunk's and heads' initial weights.</param>
    /// <param name="dropout">Dropout after each trunk activation (0: none).</param>
    /// <exception cref="ArgumentException">When there is no encoder or task, or two tasks share a name.</exception>
    public HardParameterSharing(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<int> hidden, IReadOnlyList<TaskSpec> tasks,
        TensorRandom random, double dropout = 0)
    {
        ArgumentNullException.ThrowIfNull(encoders);
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(random);
        if (encoders.Count == 0) throw new ArgumentException("The model needs at least one input encoder.", nameof(encoders));
        if (tasks.Count == 0) throw new ArgumentException("The model needs at least one task.", nameof(tasks));
        if (tasks.Select(t => t.Name).Distinct().Count() != tasks.Count) throw new ArgumentException("Task names must differ.", nameof(tasks));
        Tasks = tasks;
        var encoderDict = RegisterModule("encoders", new ModuleDict<T>());
        _encoders = encoders.Select(e => (e.Key, encoderDict.Add(e.Key, e.Value))).ToArray();
        _inputNames = encoders.Select(e => e.Key).ToArray();
        int fused = encoders.Sum(e => e.Value.OutputWidth);
        _trunk = RegisterModule("trunk", Sequential<T>.Perceptron(fused, hidden, random, dropout));
        int width = hidden.Count > 0 ? hidden[^1] : fused;
        RepresentationWidth = width;
        var heads = RegisterModule("heads", new ModuleDict<T>());
        _heads = tasks.Select(t => heads.Add(t.Name, new Linear<T>(width, t.Outputs, random))).ToArray();
        DeclareShared("encoders");
        DeclareShared("trunk");
        foreach (var task in tasks) DeclareTask(task.Name, "heads." + task.Name);
    }

    /// <inheritdoc />
    public override IReadOnlyList<TaskSpec> Tasks { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>The width of the shared representation the heads read.</summary>
    public int RepresentationWidth { get; }

    /// <summary>The shared representation of a batch: the trunk over the concatenated encodings.</summary>
    public MtlTensor<T> Represent(Batch<T> batch)
    {
        CheckInputs(batch);
        var encoded = _encoders.Select(e => e.Encoder.Encode(batch.Input(e.Name), e.Name)).ToArray();
        var fused = encoded.Length == 1 ? encoded[0] : MtlTensor.Concatenate(encoded, axis: 1);
        return _trunk.Forward(fused);
    }

    /// <inheritdoc />
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        var representation = Represent(batch);
        var outputs = new Dictionary<string, MtlTensor<T>>();
        var representations = new Dictionary<string, MtlTensor<T>>();
        for (int t = 0; t < _heads.Length; t++)
        {
            outputs[Tasks[t].Name] = _heads[t].Forward(representation);
            representations[Tasks[t].Name] = representation;
        }
        return new ModelOutput<T>(outputs, representations);
    }

    /// <summary>A model with one dense input: the shared representation of <paramref name="input"/>.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => Represent(Batch<T>.Of(_inputNames[0], input));
}
