using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// Multi-task attention network, MTAN (Liu et al., "End-to-End Multi-Task Learning with Attention", CVPR 2019), over
/// pictures with a <see cref="CnnEncoder{T}"/>: the CNN is the shared network, and each task has a soft attention module
/// at each of its blocks that selects features from the block's maps. With uⱼ the shared maps of block j (after its
/// convolution and ReLU, before its pooling) and fⱼ a shared 3×3 convolution → ReLU to the next block's channels (the
/// paper's eq. 1 and figure 2, one convolution per block as our CNN has):
/// <code>
/// aₜ⁰ = σ(conv₁ₓ₁(ReLU(conv₁ₓ₁(u₀))))                       âₜʲ = aₜʲ ⊙ uⱼ
/// aₜʲ = σ(conv₁ₓ₁(ReLU(conv₁ₓ₁([uⱼ ; poolⱼ₋₁(fⱼ₋₁(âₜʲ⁻¹))]))))    (j ≥ 1, [;] along the channels)
/// eₜ  = readout(pool_last(âₜᴸ⁻¹)),   outputₜ = headₜ(towerₜ(fusion(eₜ per input)))
/// </code>
/// The paper's attention modules also hold batch normalization; ours do not (the CNN has none either). Several picture
/// inputs each get their own attention modules; every input must have a CNN encoder. Parameter names:
/// <c>encoders.INPUT.blocks.0.weight</c> (the shared CNN), <c>shared_blocks.INPUT.J.0.weight</c> (fⱼ),
/// <c>attention.TASK.INPUT.J.0.weight</c> and <c>.2.weight</c> (the two 1×1 convolutions), <c>towers.TASK.…</c>,
/// <c>heads.TASK.weight</c>. The CNN, the fusion and fⱼ are shared; a task's attention modules, tower and head are its own.
/// Task t's representation is its fused encoding.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class MultiTaskAttentionNetwork<T> : FusedInputModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly CnnEncoder<T>[] _cnns;
    private readonly Sequential<T>[][] _shared;        // [input][block] fⱼ, for j < L − 1
    private readonly Sequential<T>[][][] _attention;   // [task][input][block]
    private readonly TaskTowers<T> _towers;

    /// <summary>Builds the attention modules and heads (seeded) over the CNN encoders.</summary>
    /// <param name="encoders">Input name → its encoder, which must be a <see cref="CnnEncoder{T}"/>.</param>
    /// <param name="tasks">The tasks.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="towerHidden">Each task tower's widths (null or empty: the head reads the fused encoding).</param>
    /// <param name="dropout">Dropout after each activation of the towers (0: none).</param>
    /// <param name="fusion">The fusion of the encodings (null: concatenation).</param>
    /// <exception cref="ArgumentException">When an input's encoder is not a CNN.</exception>
    public MultiTaskAttentionNetwork(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<TaskSpec> tasks, TensorRandom random,
        IReadOnlyList<int>? towerHidden = null, double dropout = 0, Fusion<T>? fusion = null)
        : base(encoders, tasks, fusion)
    {
        ArgumentNullException.ThrowIfNull(random);
        _cnns = new CnnEncoder<T>[InputNames.Count];
        for (int i = 0; i < InputNames.Count; i++)
            _cnns[i] = Encoders[i] as CnnEncoder<T> ?? throw new ArgumentException(
                $"MTAN's attention modules read a CNN's feature maps, but input \"{InputNames[i]}\" has a {Encoders[i].GetType().Name.Split('`')[0]}; " +
                "give every input a CNN encoder (pictures), or choose another architecture.", nameof(encoders));

        var shared = RegisterModule("shared_blocks", new ModuleDict<T>());
        _shared = new Sequential<T>[_cnns.Length][];
        for (int i = 0; i < _cnns.Length; i++)
        {
            var channels = _cnns[i].BlockChannels;
            var list = shared.Add(InputNames[i], new ModuleList<T>());
            _shared[i] = new Sequential<T>[channels.Count - 1];
            for (int j = 0; j + 1 < channels.Count; j++)
                list.Append(_shared[i][j] = new Sequential<T>(new Conv2d<T>(channels[j], channels[j + 1], (3, 3), random, padding: (1, 1)), new ReLU<T>()));
        }
        var attention = RegisterModule("attention", new ModuleDict<T>());
        _attention = new Sequential<T>[tasks.Count][][];
        for (int t = 0; t < tasks.Count; t++)
        {
            var byInput = attention.Add(tasks[t].Name, new ModuleDict<T>());
            _attention[t] = new Sequential<T>[_cnns.Length][];
            for (int i = 0; i < _cnns.Length; i++)
            {
                var channels = _cnns[i].BlockChannels;
                var list = byInput.Add(InputNames[i], new ModuleList<T>());
                _attention[t][i] = new Sequential<T>[channels.Count];
                for (int j = 0; j < channels.Count; j++)
                {
                    int inputs = j == 0 ? channels[0] : 2 * channels[j];
                    list.Append(_attention[t][i][j] = new Sequential<T>(
                        new Conv2d<T>(inputs, channels[j], (1, 1), random), new ReLU<T>(),
                        new Conv2d<T>(channels[j], channels[j], (1, 1), random), new Sigmoid<T>()));
                }
            }
        }
        _towers = RegisterTaskTowers(FusedWidth, towerHidden, random, dropout);
        DeclareShared("shared_blocks");
        DeclarePerTask("attention");
    }

    /// <summary>The attention masks aₜʲ of task <paramref name="task"/> on input <paramref name="input"/>'s pictures, one per block (values in (0, 1)).</summary>
    /// <exception cref="ArgumentException">When the model has no such task or input.</exception>
    public IReadOnlyList<MtlTensor<T>> AttentionMasks(Batch<T> batch, string task, string input)
    {
        int t = Tasks.Select(s => s.Name).ToList().IndexOf(task);
        int i = InputNames.ToList().IndexOf(input);
        if (t < 0) throw new ArgumentException($"MTAN has no task \"{task}\"; its tasks are [{string.Join(", ", Tasks.Select(s => s.Name))}].", nameof(task));
        if (i < 0) throw new ArgumentException($"MTAN has no input \"{input}\"; its inputs are [{string.Join(", ", InputNames)}].", nameof(input));
        CheckInputs(batch);
        var masks = new List<MtlTensor<T>>();
        Attend(t, i, _cnns[i].BlockFeatures(batch.Input(input).RequireValues(input), input), masks);
        return masks;
    }

    /// <summary>False: MTAN attends to its CNNs' feature maps per task and never fuses the encoders' outputs.</summary>
    protected override bool EncodesInputs => false;

    /// <inheritdoc />
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        CheckInputs(batch);
        var features = new IReadOnlyList<MtlTensor<T>>[_cnns.Length];
        var present = new MtlTensor<T>?[_cnns.Length];
        for (int i = 0; i < _cnns.Length; i++)
        {
            var input = batch.Input(InputNames[i]);
            features[i] = _cnns[i].BlockFeatures(input.RequireValues(InputNames[i]), InputNames[i]);
            present[i] = input.Present;
        }
        var representations = new MtlTensor<T>[Tasks.Count];
        for (int t = 0; t < Tasks.Count; t++)
        {
            var encoded = new MtlTensor<T>[_cnns.Length];
            for (int i = 0; i < _cnns.Length; i++)
            {
                encoded[i] = Attend(t, i, features[i], masks: null);
                if (present[i] is { } mask) encoded[i] = encoded[i] * mask.Reshape(mask.Shape[0], 1); // missing samples' rows become 0
            }
            representations[t] = Fusion.Fuse(encoded, present);
        }
        return _towers.Outputs(Tasks, representations);
    }

    /// <summary>Task t's encoding of input i from the shared block features (collecting the masks when asked).</summary>
    private MtlTensor<T> Attend(int t, int i, IReadOnlyList<MtlTensor<T>> u, List<MtlTensor<T>>? masks)
    {
        var cnn = _cnns[i];
        MtlTensor<T>? previous = null;
        for (int j = 0; ; j++)
        {
            var attentionInput = previous is null ? u[j] : MtlTensor.Concatenate([u[j], previous], axis: 1);
            var a = _attention[t][i][j].Forward(attentionInput);
            masks?.Add(a);
            var attended = a * u[j];
            if (j == u.Count - 1) return cnn.Readout(cnn.PoolBlock(j, attended));
            previous = cnn.PoolBlock(j, _shared[i][j].Forward(attended));
        }
    }

    /// <summary>A model with one dense input: the task outputs side by side, (n, Σ outputs), in task order.</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => MtlTensor.Concatenate(ForwardTasks(input), axis: 1);
}
