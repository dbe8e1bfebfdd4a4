using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiTask;

/// <summary>
/// The shared bottom of every multi-task architecture here: one encoder per input and a fusion of the encodings,
/// <code>
/// x = fusion(enc₁(x₁), …, enc_m(x_m))      (n, <see cref="FusedWidth"/>)
/// </code>
/// An architecture (HPS, MMoE, PLE, ...) builds its shared and task-specific layers on x. Parameter names:
/// <c>encoders.INPUT.…</c> and <c>fusion.…</c>; both are shared by every task.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public abstract class FusedInputModel<T> : MultiTaskModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly (string Name, InputEncoder<T> Encoder)[] _encoders;
    private readonly string[] _inputNames;

    /// <summary>Registers the encoders and the fusion (concatenation when <paramref name="fusion"/> is null).</summary>
    /// <param name="encoders">Input name → its encoder, in fusion order.</param>
    /// <param name="tasks">The tasks.</param>
    /// <param name="fusion">The fusion of the encodings; it must take the encoders' widths in this order.</param>
    /// <exception cref="ArgumentException">When there is no encoder or task, two tasks or inputs share a name.</exception>
    protected FusedInputModel(IReadOnlyList<KeyValuePair<string, InputEncoder<T>>> encoders, IReadOnlyList<TaskSpec> tasks, Fusion<T>? fusion = null)
    {
        ArgumentNullException.ThrowIfNull(encoders);
        ArgumentNullException.ThrowIfNull(tasks);
        if (encoders.Count == 0) throw new ArgumentException("The model needs at least one input encoder.", nameof(encoders));
        if (tasks.Count == 0) throw new ArgumentException("The model needs at least one task.", nameof(tasks));
        if (tasks.Select(t => t.Name).Distinct().Count() != tasks.Count) throw new ArgumentException("Task names must differ.", nameof(tasks));
        if (encoders.Select(e => e.Key).Distinct().Count() != encoders.Count) throw new ArgumentException("Input names must differ.", nameof(encoders));
        Tasks = tasks;
        var encoderDict = RegisterModule("encoders", new ModuleDict<T>());
        _encoders = encoders.Select(e => (e.Key, encoderDict.Add(e.Key, e.Value))).ToArray();
        _inputNames = encoders.Select(e => e.Key).ToArray();
        Fusion = RegisterModule("fusion", fusion ?? new ConcatFusion<T>(encoders.Select(e => e.Value.OutputWidth).ToArray()));
        FusedWidth = Fusion.OutputWidth;
        DeclareShared("encoders");
        DeclareShared("fusion");
    }

    /// <inheritdoc />
    public override IReadOnlyList<TaskSpec> Tasks { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> InputNames => _inputNames;

    /// <summary>The fusion of the encodings.</summary>
    public Fusion<T> Fusion { get; }

    /// <summary>The width of the fused encodings the architecture reads.</summary>
    public int FusedWidth { get; }

    /// <summary>The encoders, in input order.</summary>
    public IReadOnlyList<InputEncoder<T>> Encoders => _encoders.Select(e => e.Encoder).ToArray();

    /// <summary>
    /// When set, each input's encoding passes through it (the input's position, its (n, width) encoding → what the fusion gets)
    /// after encoding and before fusion: how <see cref="MultiModal.ModalityAttribution"/> puts the encodings on an integration
    /// path. Null (the default) leaves the encodings as they are.
    /// </summary>
    public Func<int, MtlTensor<T>, MtlTensor<T>>? EncodingHook { get; set; }

    /// <summary>The modality dropout applied in training mode (<see cref="UseModalityDropout(double, ulong)"/>), or null.</summary>
    public ModalityDropout<T>? ModalityDropout { get; private set; }

    /// <summary>
    /// Turns on modality dropout: in training mode each sample's present inputs are dropped with probability
    /// <paramref name="p"/> (never all of them) before encoding; the module is registered as <c>modality_dropout</c> (no
    /// parameters; its generator's position is saved in training checkpoints). Call it once, before training.
    /// </summary>
    /// <exception cref="InvalidOperationException">When modality dropout is already on.</exception>
    public void UseModalityDropout(double p, ulong seed)
    {
        if (ModalityDropout is not null) throw new InvalidOperationException("Modality dropout is already on; turn it on once.");
        ModalityDropout = RegisterModule("modality_dropout", new ModalityDropout<T>(p, seed));
    }

    /// <summary>
    /// Turns on modality dropout with a rate per input: in training mode each sample's input <c>name</c> is dropped with
    /// probability <c>rates[name]</c> (0 for an input not listed; never every input of a sample). Otherwise as
    /// <see cref="UseModalityDropout(double, ulong)"/>.
    /// </summary>
    /// <exception cref="ArgumentException">When a name is not an input of the model, or a rate is not in [0, 1).</exception>
    /// <exception cref="InvalidOperationException">When modality dropout is already on.</exception>
    public void UseModalityDropout(IReadOnlyDictionary<string, double> rates, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(rates);
        if (ModalityDropout is not null) throw new InvalidOperationException("Modality dropout is already on; turn it on once.");
        foreach (string name in rates.Keys)
            if (!_inputNames.Contains(name))
                throw new ArgumentException($"Modality dropout has a rate for \"{name}\", which is not an input; the inputs are {string.Join(", ", _inputNames)}.", nameof(rates));
        ModalityDropout = RegisterModule("modality_dropout", new ModalityDropout<T>(_inputNames.Select(n => rates.GetValueOrDefault(n)).ToArray(), seed));
    }

    /// <summary>The contrastive alignment trained beside the task losses (<see cref="UseJointAlignment"/>), or null.</summary>
    public JointAlignment<T>? JointAlignment { get; private set; }

    /// <summary>
    /// Turns on a joint alignment: in training mode the model's output carries, as its
    /// <see cref="ModelOutput{T}.AuxiliaryLoss"/>, λ times CLIP's symmetric InfoNCE between the encodings of inputs
    /// <paramref name="inputA"/> and <paramref name="inputB"/> projected to a shared space of width
    /// <paramref name="sharedWidth"/> (see <see cref="MultiModal.JointAlignment{T}"/>); the <see cref="Trainer{T}"/> adds it to the
    /// task losses. Registered as <c>alignment</c> (<c>alignment.projection_a.weight</c>, <c>alignment.projection_b.weight</c>,
    /// <c>alignment.loss.logit_scale</c>), a shared part of the model. Call it once, before the optimizer is made.
    /// </summary>
    /// <param name="inputA">The first input's name (the queries of <see cref="AlignmentSimilarity"/>'s rows).</param>
    /// <param name="inputB">The second input's name.</param>
    /// <param name="sharedWidth">d, the width of the shared space.</param>
    /// <param name="weight">λ ≥ 0; 0 trains the task model exactly as without the alignment.</param>
    /// <param name="random">The generator of the projections (give one of its own, so that the model's other weights stay as they are).</param>
    /// <param name="initialLogitScale">s at the start (default ln(1/0.07)).</param>
    /// <exception cref="ArgumentException">When an input name is unknown, the two are the same, or λ is negative.</exception>
    /// <exception cref="InvalidOperationException">When it is already on.</exception>
    /// <exception cref="NotSupportedException">For a model that does not fuse its encoders' outputs (MTAN).</exception>
    public void UseJointAlignment(string inputA, string inputB, int sharedWidth, double weight, TensorRandom random, double? initialLogitScale = null)
    {
        ArgumentNullException.ThrowIfNull(inputA);
        ArgumentNullException.ThrowIfNull(inputB);
        if (JointAlignment is not null) throw new InvalidOperationException("The joint alignment is already on; turn it on once.");
        if (!EncodesInputs)
            throw new NotSupportedException($"{GetType().Name} does not fuse its encoders' outputs (it attends to their feature maps per task), so it has no encodings to align.");
        int a = Array.IndexOf(_inputNames, inputA), b = Array.IndexOf(_inputNames, inputB);
        if (a < 0 || b < 0)
            throw new ArgumentException($"The joint alignment names \"{(a < 0 ? inputA : inputB)}\", which is not an input; the inputs are {string.Join(", ", _inputNames)}.");
        JointAlignment = RegisterModule("alignment", new JointAlignment<T>(a, _encoders[a].Encoder.OutputWidth, b, _encoders[b].Encoder.OutputWidth, sharedWidth, weight,
            random, initialLogitScale));
        DeclareShared("alignment");
    }

    /// <summary>Whether the architecture reads the fusion of its encoders' outputs (<see cref="EncodeInputs"/>); MTAN does not.</summary>
    protected virtual bool EncodesInputs => true;

    /// <summary>
    /// The cosine similarities (n_a, n_b) in the joint alignment's shared space of the first input of rows
    /// <paramref name="rowsA"/> with the second input of rows <paramref name="rowsB"/> of <paramref name="data"/>, in evaluation
    /// mode and without a graph: row i ranks the candidates for query i (the retrieval metrics read it).
    /// </summary>
    /// <exception cref="InvalidOperationException">When the joint alignment is off.</exception>
    public MtlTensor<T> AlignmentSimilarity(MultiTaskDataset<T> data, ReadOnlySpan<int> rowsA, ReadOnlySpan<int> rowsB)
    {
        ArgumentNullException.ThrowIfNull(data);
        var alignment = JointAlignment ?? throw new InvalidOperationException("The joint alignment is off; call UseJointAlignment before training.");
        bool training = Training;
        Eval();
        try
        {
            using (Autograd.Grad.NoGrad())
            {
                var (nameA, a) = _encoders[alignment.InputA];
                var (nameB, b) = _encoders[alignment.InputB];
                var embeddingsA = alignment.EmbedA(a.Encode(OnDevice(data.Batch(rowsA).Input(nameA)), nameA));
                var embeddingsB = alignment.EmbedB(b.Encode(OnDevice(data.Batch(rowsB).Input(nameB)), nameB));
                return embeddingsA.Matmul(embeddingsB.Transpose()).To(Device.Cpu);
            }
        }
        finally
        {
            Train(training);
        }
    }

    /// <summary>One input of a batch on the model's device.</summary>
    private BatchInput<T> OnDevice(BatchInput<T> input)
    {
        var device = Device;
        if (device.Kind == DeviceKind.Cpu) return input;
        return input.Values is null
            ? BatchInput<T>.Index(input.Indices!, input.Present?.To(device))
            : BatchInput<T>.Dense(input.Values.To(device), input.Present?.To(device));
    }

    /// <summary>
    /// The fused encodings of a batch: in training mode the presence masks through modality dropout (when on), each input
    /// encoded (missing samples' rows filled as its encoder's <see cref="InputEncoder{T}.MissingFill"/> says), then fused. The
    /// fusion gets an input's mask only with the zeros fill; a mean or learned fill stands in for the missing value, so the
    /// fusion sees that input as present.
    /// </summary>
    public MtlTensor<T> EncodeInputs(Batch<T> batch) => EncodeWithAlignment(batch).Fused;

    /// <summary>
    /// <see cref="EncodeInputs"/> and, in training mode with the joint alignment on, its loss on the same encodings (null
    /// otherwise): an architecture's Forward passes it to <see cref="WithAuxiliary"/>.
    /// </summary>
    protected (MtlTensor<T> Fused, MtlTensor<T>? AlignmentLoss) EncodeWithAlignment(Batch<T> batch)
    {
        CheckInputs(batch);
        var inputs = _encoders.Select(e => batch.Input(e.Name)).ToArray();
        if (ModalityDropout is not null && ModalityDropout.Training)
        {
            var dropped = ModalityDropout.Drop(inputs.Select(i => i.Present).ToArray(), batch.Count);
            for (int i = 0; i < inputs.Length; i++)
                if (!ReferenceEquals(dropped[i], inputs[i].Present))
                    inputs[i] = inputs[i].Values is { } values ? BatchInput<T>.Dense(values, dropped[i]) : BatchInput<T>.Index(inputs[i].Indices!, dropped[i]);
        }
        var encoded = new MtlTensor<T>[_encoders.Length];
        var raw = new MtlTensor<T>[_encoders.Length];
        var present = new MtlTensor<T>?[_encoders.Length];
        for (int i = 0; i < _encoders.Length; i++)
        {
            var encoder = _encoders[i].Encoder;
            encoded[i] = raw[i] = encoder.Encode(inputs[i], _encoders[i].Name);
            if (EncodingHook is not null) encoded[i] = EncodingHook(i, encoded[i]);
            present[i] = encoder.MissingFill == MissingFill.Zeros ? inputs[i].Present : null;
        }
        MtlTensor<T>? alignmentLoss = null;
        if (JointAlignment is { } alignment && Training)
        {
            int a = alignment.InputA, b = alignment.InputB;
            alignmentLoss = alignment.Loss(raw[a], raw[b], inputs[a].Present, inputs[b].Present);
        }
        return (Fusion.Fuse(encoded, present), alignmentLoss);
    }

    /// <summary>
    /// Registers each task's tower and head over a representation of <paramref name="width"/> values
    /// (<c>towers.TASK.…</c>, <c>heads.TASK.weight</c>) and declares both as the task's own.
    /// </summary>
    private protected TaskTowers<T> RegisterTaskTowers(int width, IReadOnlyList<int>? towerHidden, TensorRandom random, double dropout)
    {
        var towers = new TaskTowers<T>(RegisterModule("towers", new ModuleDict<T>()), RegisterModule("heads", new ModuleDict<T>()), Tasks,
            width, towerHidden ?? [], random, dropout);
        DeclarePerTask("towers");
        DeclarePerTask("heads");
        return towers;
    }

    /// <summary>The output with <paramref name="extra"/> added to its <see cref="ModelOutput{T}.AuxiliaryLoss"/> (the output itself when null).</summary>
    protected static ModelOutput<T> WithAuxiliary(ModelOutput<T> output, MtlTensor<T>? extra)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (extra is null) return output;
        return output with { AuxiliaryLoss = output.AuxiliaryLoss is { } existing ? existing + extra : extra };
    }

    /// <summary>A model with one dense input: the task outputs of <paramref name="input"/> as the first input.</summary>
    protected Batch<T> SingleInputBatch(MtlTensor<T> input) => Batch<T>.Of(_inputNames[0], input);
}
