using System.Numerics;
using MtlEngine.MultiModal;
using MtlEngine.Nn;
using MtlEngine.Tensors;

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

    /// <summary>The modality dropout applied in training mode (<see cref="UseModalityDropout"/>), or null.</summary>
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
    /// The fused encodings of a batch: in training mode the presence masks through modality dropout (when on), each input
    /// encoded (missing samples' rows filled as its encoder's <see cref="InputEncoder{T}.MissingFill"/> says), then fused. The
    /// fusion gets an input's mask only with the zeros fill; a mean or learned fill stands in for the missing value, so the
    /// fusion sees that input as present.
    /// </summary>
    public MtlTensor<T> EncodeInputs(Batch<T> batch)
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
        var present = new MtlTensor<T>?[_encoders.Length];
        for (int i = 0; i < _encoders.Length; i++)
        {
            var encoder = _encoders[i].Encoder;
            encoded[i] = encoder.Encode(inputs[i], _encoders[i].Name);
            if (EncodingHook is not null) encoded[i] = EncodingHook(i, encoded[i]);
            present[i] = encoder.MissingFill == MissingFill.Zeros ? inputs[i].Present : null;
        }
        return Fusion.Fuse(encoded, present);
    }

    /// <summary>A model with one dense input: the task outputs of <paramref name="input"/> as the first input.</summary>
    protected Batch<T> SingleInputBatch(MtlTensor<T> input) => Batch<T>.Of(_inputNames[0], input);
}
