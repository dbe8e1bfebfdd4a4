using System.Globalization;
using System.Numerics;
using MtlEngine.Data;
using MtlEngine.Kernels.Optimizers;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// Updates parameters in place from their accumulated gradients, group by group (<see cref="ParameterGroup{T}"/>), each
/// group with its own hyperparameters. The per-parameter state (step count, momentum, moments) is allocated on the
/// parameter's first step and reused; parameters without a gradient are skipped and their step count does not advance.
/// Arithmetic follows PyTorch's implementations step for step, so that fixtures from PyTorch match; the formulas are
/// written once (<see cref="OptimizerRules"/>) and run by the CPU drivers and the GPU kernels alike.
/// </summary>
/// <remarks>
/// <para>Parameters on a GPU device (<c>Module.To</c>) are updated there by one kernel per parameter, with the state in
/// device memory; <see cref="Dispose"/> gives that memory back.</para>
/// <para>State dictionary (<see cref="StateDict"/>), after PyTorch's <c>optimizer.state_dict()</c> flattened into named arrays:
/// <c>step_count</c> (int64 scalar, <see cref="StepCount"/>); for each group g, <c>param_groups.{g}.params</c> (int64, the
/// parameters' indices in <see cref="Parameters"/>) and one float64 array per option,
/// <c>param_groups.{g}.{lr, initial_lr, weight_decay, momentum, dampening, nesterov, betas, eps, alpha, centered}</c>
/// (those the optimizer uses; booleans as 0 or 1, betas of length 2); for each parameter i that has taken a step,
/// <c>state.{i}.step</c> (int64 scalar) and its buffers <c>state.{i}.{name}</c> in the parameters' element type and shape
/// (<c>momentum_buffer</c>, <c>exp_avg</c>, <c>exp_avg_sq</c>, <c>square_avg</c>, <c>grad_avg</c>). Save it with
/// <c>Safetensors.Write</c> beside the model's state; <see cref="LoadStateDict"/> restores it, so that training resumes
/// with the same bits as an uninterrupted run.</para>
/// </remarks>
public abstract class Optimizer<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterGroup<T>[] _groups;
    private readonly MtlTensor<T>[][] _groupParameters;
    private readonly MtlTensor<T>[] _parameters;
    private ParameterState?[] _state;

    /// <summary>The step count and the named buffers of one parameter (slots in the order of <see cref="StateNames"/>).</summary>
    private sealed class ParameterState(int slots)
    {
        public long Step;
        public readonly MtlTensor<T>?[] Buffers = new MtlTensor<T>?[slots];
    }

    /// <summary>Creates the optimizer over <paramref name="parameters"/> (contiguous leaves) as one group.</summary>
    /// <exception cref="ArgumentException">When a parameter is not a contiguous tensor or appears twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When the learning rate is negative or NaN.</exception>
    protected Optimizer(IEnumerable<MtlTensor<T>> parameters, double learningRate)
        : this(OneGroup(parameters), learningRate) { }

    /// <summary>Creates the optimizer over <paramref name="groups"/>; a group without a learning rate takes <paramref name="learningRate"/>.</summary>
    /// <exception cref="ArgumentException">When there is no group, a parameter is not a contiguous tensor, or a parameter appears twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When a learning rate is negative or NaN.</exception>
    protected Optimizer(IEnumerable<ParameterGroup<T>> groups, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(groups);
        _groups = groups.ToArray();
        if (_groups.Length == 0)
            throw new ArgumentException("An optimizer needs at least one parameter group; pass the parameters, or one ParameterGroup per set of hyperparameters.", nameof(groups));
        _groupParameters = new MtlTensor<T>[_groups.Length][];
        var seen = new HashSet<MtlTensor<T>>(ReferenceEqualityComparer.Instance);
        for (int g = 0; g < _groups.Length; g++)
        {
            var group = _groups[g] ?? throw new ArgumentNullException(nameof(groups), $"Parameter group {g} is null.");
            _groupParameters[g] = group.Parameters.ToArray();
            foreach (var p in _groupParameters[g])
            {
                if (!p.IsContiguous)
                    throw new ArgumentException($"Optimizers update parameters in place and need contiguous tensors, but one in group {g} has shape {MtlTensor<T>.ShapeText(p.Shape)} and strides {MtlTensor<T>.ShapeText(p.Strides)}.");
                if (!seen.Add(p))
                    throw new ArgumentException($"A parameter of shape {MtlTensor<T>.ShapeText(p.Shape)} appears twice (in group {g}); each parameter may belong to one group only.", nameof(groups));
            }
            group.LearningRate ??= learningRate;
            if (!(group.LearningRate >= 0))
                throw new ArgumentOutOfRangeException(nameof(learningRate), group.LearningRate, $"The learning rate must be ≥ 0 (group {g}).");
            group.InitialLearningRate ??= group.LearningRate;
        }
        _parameters = _groupParameters.SelectMany(ps => ps).ToArray();
        _state = new ParameterState?[_parameters.Length];
    }

    private static ParameterGroup<T>[] OneGroup(IEnumerable<MtlTensor<T>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return [new ParameterGroup<T>(parameters)];
    }

    /// <summary>Every parameter, group after group: the index of a parameter here is its index in the state dictionary.</summary>
    public IReadOnlyList<MtlTensor<T>> Parameters => _parameters;

    /// <summary>The parameter groups with their hyperparameters (change them between steps, as schedules do).</summary>
    public IReadOnlyList<ParameterGroup<T>> Groups => _groups;

    /// <summary>The learning rate of the first group; setting it sets every group's (as one-group code expects).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When set to a negative or NaN value.</exception>
    public double LearningRate
    {
        get => _groups[0].LearningRate ?? 0;
        set
        {
            if (!(value >= 0)) throw new ArgumentOutOfRangeException(nameof(value), value, "The learning rate must be ≥ 0.");
            foreach (var group in _groups) group.LearningRate = value;
        }
    }

    /// <summary>How many steps have been taken.</summary>
    public int StepCount { get; private set; }

    /// <summary>The names of the per-parameter buffers this optimizer may keep (PyTorch's state keys), in slot order.</summary>
    protected abstract IReadOnlyList<string> StateNames { get; }

    /// <summary>The group options this optimizer uses besides lr and initial_lr (PyTorch's keys, see <see cref="ParameterGroup{T}"/>).</summary>
    protected abstract IReadOnlyList<string> OptionNames { get; }

    /// <summary>Takes one step from the current gradients.</summary>
    /// <exception cref="InvalidOperationException">When a parameter on a device has its gradient on another device, or a group option the optimizer needs was set to null.</exception>
    public void Step()
    {
        StepCount++;
        int index = 0;
        for (int g = 0; g < _groups.Length; g++)
        {
            var group = _groups[g];
            var parameters = _groupParameters[g];
            for (int j = 0; j < parameters.Length; j++, index++)
            {
                var p = parameters[j];
                if (p.Grad is null) continue;
                var state = _state[index] ??= new ParameterState(StateNames.Count);
                state.Step++;
                var grad = p.Grad.Contiguous();
                if (p.Device.Kind != DeviceKind.Cpu)
                {
                    if (grad.Device != p.Device)
                        throw new InvalidOperationException($"A parameter on {p.Device} has its gradient on {grad.Device}; move the module with To(device) before training.");
                    UpdateOnDevice(group, index, p, grad);
                    continue;
                }
                Update(group, index, p.AsSpan(), grad.AsSpan());
            }
        }
    }

    /// <summary>Updates parameter <paramref name="index"/> (values <paramref name="p"/>, on the CPU) of <paramref name="group"/> from gradient <paramref name="g"/>.</summary>
    protected abstract void Update(ParameterGroup<T> group, int index, Span<T> p, ReadOnlySpan<T> g);

    /// <summary>
    /// Updates parameter <paramref name="index"/> of <paramref name="group"/>, which lives on a GPU device, from its gradient
    /// <paramref name="g"/> (same device, contiguous), in place there. An optimizer without a device form says so.
    /// </summary>
    /// <exception cref="NotSupportedException">For an optimizer without a device form.</exception>
    protected virtual void UpdateOnDevice(ParameterGroup<T> group, int index, MtlTensor<T> p, MtlTensor<T> g) =>
        throw new NotSupportedException($"{GetType().Name} has no device form; move the module to the cpu with To(Device.Cpu) to train with it.");

    /// <summary>Parameter <paramref name="index"/>'s own step count t (1 on its first step), PyTorch's <c>state['step']</c>.</summary>
    protected long ParameterStep(int index) => _state[index]?.Step ?? 0;

    /// <summary>Whether parameter <paramref name="index"/> has buffer <paramref name="slot"/> (of <see cref="StateNames"/>) yet.</summary>
    protected bool HasState(int index, int slot) => _state[index]?.Buffers[slot] is not null;

    /// <summary>
    /// Buffer <paramref name="slot"/> (of <see cref="StateNames"/>) of parameter <paramref name="index"/>: zeros of the parameter's
    /// shape on its device, allocated on first use (owned by the optimizer, not by any arena step or memory scope) and kept.
    /// </summary>
    protected MtlTensor<T> State(int index, int slot)
    {
        var state = _state[index] ??= new ParameterState(StateNames.Count);
        return state.Buffers[slot] ??= Zeros(_parameters[index]);
    }

    private static MtlTensor<T> Zeros(MtlTensor<T> like) => like.Device.Kind == DeviceKind.Cpu
        ? MtlTensor.Zeros<T>(like.Shape.ToArray())
        : GpuTensorOps.Full(like.Device, like.Shape.ToArray(), T.Zero, scoped: false);

    /// <summary>The value of a group option that the optimizer filled in at construction.</summary>
    /// <exception cref="InvalidOperationException">When it was set to null since.</exception>
    protected static TValue Required<TValue>(TValue? value, string name) where TValue : struct =>
        value ?? throw new InvalidOperationException($"The parameter group's option {name} is null; set it (or leave it unset when creating the optimizer, which fills in its default).");

    /// <summary>Zero-fills every parameter's gradient (keeps the buffers).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>Gives the optimizer's device state (momentum, moments) back to the device pool; the optimizer must not step again.</summary>
    public void Dispose()
    {
        ReleaseState();
        GC.SuppressFinalize(this);
    }

    private void ReleaseState()
    {
        foreach (var state in _state)
            if (state is not null)
                foreach (var buffer in state.Buffers) buffer?.ReleaseDeviceMemory();
        _state = new ParameterState?[_parameters.Length];
    }

    private IEnumerable<string> AllOptionNames => OptionNames.Prepend("initial_lr").Prepend("lr");

    /// <summary>
    /// The optimizer's state as named arrays (copies; state on a device is downloaded): the step count, each group's
    /// options and parameter indices, and each parameter's step and buffers. The names are listed on <see cref="Optimizer{T}"/>.
    /// </summary>
    public IReadOnlyList<NdArray> StateDict()
    {
        var arrays = new List<NdArray> { new("step_count", DType.Int64, [], new long[] { StepCount }) };
        int index = 0;
        for (int g = 0; g < _groups.Length; g++)
        {
            var indices = new long[_groupParameters[g].Length];
            for (int j = 0; j < indices.Length; j++) indices[j] = index++;
            arrays.Add(NdArray.Create($"param_groups.{g}.params", indices));
            foreach (string name in AllOptionNames)
                if (_groups[g].GetOption(name) is double[] values)
                    arrays.Add(NdArray.Create($"param_groups.{g}.{name}", values));
        }
        for (int i = 0; i < _state.Length; i++)
        {
            if (_state[i] is not ParameterState state) continue;
            arrays.Add(new NdArray($"state.{i}.step", DType.Int64, [], new long[] { state.Step }));
            for (int slot = 0; slot < state.Buffers.Length; slot++)
                if (state.Buffers[slot] is MtlTensor<T> buffer)
                    arrays.Add(NdArray.FromTensor(buffer.To(Device.Cpu), $"state.{i}.{StateNames[slot]}"));
        }
        return arrays;
    }

    /// <summary>
    /// Restores a state saved by <see cref="StateDict"/> from an optimizer of the same kind over parameters of the same
    /// shapes in the same groups: the step counts, the group options (as PyTorch's <c>load_state_dict</c>, which also restores
    /// the learning rates a schedule had set) and the buffers, uploaded to each parameter's device. Everything is checked
    /// before anything changes; the current state is replaced.
    /// </summary>
    /// <exception cref="OptimizerStateException">When a name is unknown or missing, a count or a shape differs, or a value is invalid; the message names the entry.</exception>
    public void LoadStateDict(IReadOnlyList<NdArray> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var byName = new Dictionary<string, NdArray>();
        foreach (var array in state)
            if (!byName.TryAdd(array.Name, array))
                throw new OptimizerStateException($"The optimizer state has two entries named \"{array.Name}\".");
        NdArray Take(string name) => byName.Remove(name, out var array) ? array
            : throw new OptimizerStateException($"The optimizer state has no entry \"{name}\"; it was not saved by {GetType().Name}.StateDict() of an optimizer with these groups.");

        long stepCount = Scalar(Take("step_count"));
        if (stepCount is < 0 or > int.MaxValue) throw new OptimizerStateException($"step_count is {stepCount}; it must be between 0 and {int.MaxValue}.");

        // Groups: the same number, the same parameter indices, every option this optimizer uses.
        int savedGroups = byName.Keys.Count(k => k.StartsWith("param_groups.", StringComparison.Ordinal) && k.EndsWith(".params", StringComparison.Ordinal));
        if (savedGroups != _groups.Length)
            throw new OptimizerStateException($"The optimizer state has {savedGroups} parameter groups but this {GetType().Name} has {_groups.Length}; create it with the same groups as the one that was saved.");
        var options = new List<(ParameterGroup<T> Group, string Name, double[] Values)>();
        int index = 0;
        for (int g = 0; g < _groups.Length; g++)
        {
            var saved = Take($"param_groups.{g}.params");
            var indices = saved.ToDoubleArray();
            if (saved.Rank != 1 || indices.Length != _groupParameters[g].Length)
                throw new OptimizerStateException($"Parameter group {g} of the saved state holds {saved.Length} parameters but this optimizer's group {g} holds {_groupParameters[g].Length}; the groups must match.");
            for (int j = 0; j < indices.Length; j++, index++)
                if (indices[j] != index)
                    throw new OptimizerStateException($"Parameter group {g} of the saved state lists parameter {indices[j]} at position {j} where this optimizer has parameter {index}; the groups must match.");
            foreach (string name in AllOptionNames)
            {
                var array = Take($"param_groups.{g}.{name}");
                int length = ParameterGroup<T>.OptionLength(name);
                if (array.Length != length || array.Rank > 1)
                    throw new OptimizerStateException($"param_groups.{g}.{name} has shape {MtlTensor<T>.ShapeText(array.Shape)}; it must hold {length} value{(length == 1 ? "" : "s")}.");
                var values = array.ToDoubleArray();
                if (values.Any(v => !double.IsFinite(v)) || (name is "lr" or "initial_lr" && values[0] < 0))
                    throw new OptimizerStateException($"param_groups.{g}.{name} is [{string.Join(", ", values.Select(v => v.ToString(CultureInfo.InvariantCulture)))}]; it must be finite (and a learning rate ≥ 0).");
                options.Add((_groups[g], name, values));
            }
        }

        // Per-parameter state: a step and known buffers of the parameter's shape, for parameters that exist.
        var loaded = new ParameterState?[_parameters.Length];
        var buffers = new List<(int Index, int Slot, NdArray Array)>();
        foreach (var (name, array) in byName)
        {
            string[] parts = name.Split('.');
            if (parts.Length != 3 || parts[0] != "state" || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int i))
                throw new OptimizerStateException($"The optimizer state has an unexpected entry \"{name}\"; {GetType().Name} knows step_count, param_groups.{{g}}.{{params, {string.Join(", ", AllOptionNames)}}} and state.{{i}}.{{step, {string.Join(", ", StateNames)}}}.");
            if (i >= _parameters.Length)
                throw new OptimizerStateException($"The optimizer state has \"{name}\" but this optimizer has only {_parameters.Length} parameters.");
            loaded[i] ??= new ParameterState(StateNames.Count);
            if (parts[2] == "step")
            {
                long step = Scalar(array);
                if (step < 1) throw new OptimizerStateException($"{name} is {step}; a parameter with state has taken at least one step.");
                loaded[i]!.Step = step;
                continue;
            }
            int slot = IndexOf(StateNames, parts[2]);
            if (slot < 0)
                throw new OptimizerStateException($"The optimizer state has \"{name}\" but {GetType().Name} keeps only {string.Join(", ", StateNames)} per parameter; it was saved by another kind of optimizer.");
            if (!array.Shape.SequenceEqual(_parameters[i].Shape))
                throw new OptimizerStateException($"{name} has shape {MtlTensor<T>.ShapeText(array.Shape)} but parameter {i} has shape {MtlTensor<T>.ShapeText(_parameters[i].Shape)}; the state was saved for another architecture.");
            if (array.DType is not (DType.Float32 or DType.Float64))
                throw new OptimizerStateException($"{name} holds {DTypes.NumpyName(array.DType)}; optimizer buffers are float32 or float64.");
            buffers.Add((i, slot, array));
        }
        for (int i = 0; i < loaded.Length; i++)
            if (loaded[i] is { Step: 0 })
                throw new OptimizerStateException($"The optimizer state has buffers for parameter {i} but no state.{i}.step.");

        // Everything checked: replace.
        ReleaseState();
        foreach (var (group, name, values) in options) group.SetOption(name, values);
        foreach (var (i, slot, array) in buffers)
        {
            var values = array.ToTensor<T>();
            var parameter = _parameters[i];
            if (parameter.Device.Kind == DeviceKind.Cpu)
            {
                loaded[i]!.Buffers[slot] = values;
            }
            else
            {
                var onDevice = Zeros(parameter);
                values.CopyTo(onDevice);
                loaded[i]!.Buffers[slot] = onDevice;
            }
        }
        _state = loaded;
        StepCount = (int)stepCount;
    }

    private static long Scalar(NdArray array)
    {
        if (array.Length != 1 || array.Rank > 1)
            throw new OptimizerStateException($"{array.Name} has shape {MtlTensor<T>.ShapeText(array.Shape)}; it must hold one value.");
        double value = array.ToDoubleArray()[0];
        if (value != Math.Floor(value) || !double.IsFinite(value))
            throw new OptimizerStateException($"{array.Name} is {value.ToString(CultureInfo.InvariantCulture)}; it must be a whole number.");
        return (long)value;
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (int i = 0; i < names.Count; i++)
            if (names[i] == name) return i;
        return -1;
    }
}

/// <summary>An optimizer state that does not fit the optimizer it is loaded into; the message says which entry and why.</summary>
public sealed class OptimizerStateException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public OptimizerStateException(string message) : base(message) { }
}

/// <summary>
/// Stochastic gradient descent with momentum (Polyak, or Nesterov as in Sutskever et al. 2013) and L2 weight decay,
/// PyTorch's <c>torch.optim.SGD</c>: g ← ∇ + λp; b ← μb + (1 − τ)g (b = g on the parameter's first step); g ← g + μb
/// (Nesterov) or b; p ← p − η·g. State: <c>momentum_buffer</c> (with μ ≠ 0).
/// </summary>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly string[] Names = ["momentum_buffer"];
    private static readonly string[] Options = ["weight_decay", "momentum", "dampening", "nesterov"];

    /// <summary>Creates the optimizer over one group.</summary>
    /// <exception cref="ArgumentException">When Nesterov is asked for without momentum or with dampening.</exception>
    public Sgd(IEnumerable<MtlTensor<T>> parameters, double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(parameters, learningRate) => Fill(momentum, dampening, nesterov, weightDecay);

    /// <summary>Creates the optimizer over <paramref name="groups"/>; the arguments are the defaults of the options a group leaves unset.</summary>
    /// <exception cref="ArgumentException">When a group asks for Nesterov without momentum or with dampening.</exception>
    public Sgd(IEnumerable<ParameterGroup<T>> groups, double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(groups, learningRate) => Fill(momentum, dampening, nesterov, weightDecay);

    private void Fill(double momentum, double dampening, bool nesterov, double weightDecay)
    {
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        for (int g = 0; g < Groups.Count; g++)
        {
            var group = Groups[g];
            group.Momentum ??= momentum;
            group.Dampening ??= dampening;
            group.Nesterov ??= nesterov;
            group.WeightDecay ??= weightDecay;
            if (!(group.Momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), group.Momentum, $"The momentum must be ≥ 0 (group {g}).");
            if (group.Nesterov == true && (group.Momentum <= 0 || group.Dampening != 0))
                throw new ArgumentException($"Nesterov momentum needs momentum > 0 and dampening = 0 (group {g} has momentum {group.Momentum} and dampening {group.Dampening}).");
        }
    }

    /// <summary>The default μ.</summary>
    public double Momentum { get; private set; }

    /// <summary>The default τ.</summary>
    public double Dampening { get; private set; }

    /// <summary>Whether the Nesterov form is the default.</summary>
    public bool Nesterov { get; private set; }

    /// <summary>The default λ (L2 penalty added to the gradient).</summary>
    public double WeightDecay { get; private set; }

    /// <inheritdoc />
    protected override IReadOnlyList<string> StateNames => Names;

    /// <inheritdoc />
    protected override IReadOnlyList<string> OptionNames => Options;

    /// <summary>This step's constants for parameter <paramref name="index"/> of <paramref name="group"/>; the momentum buffer starts as d when it is new.</summary>
    private SgdStep<T> Constants(ParameterGroup<T> group, int index)
    {
        double momentum = Required(group.Momentum, "momentum");
        return new SgdStep<T>(T.CreateChecked(Required(group.LearningRate, "lr")), T.CreateChecked(momentum), T.One - T.CreateChecked(Required(group.Dampening, "dampening")),
            T.CreateChecked(Required(group.WeightDecay, "weight_decay")), momentum != 0 ? 1 : 0, HasState(index, 0) ? 0 : 1, Required(group.Nesterov, "nesterov") ? 1 : 0);
    }

    /// <inheritdoc />
    protected override void UpdateOnDevice(ParameterGroup<T> group, int index, MtlTensor<T> p, MtlTensor<T> g)
    {
        var step = Constants(group, index);
        GpuTensorOps.SgdStep(p, g, step.UseMomentum != 0 ? State(index, 0) : null, step);
    }

    /// <inheritdoc />
    protected override void Update(ParameterGroup<T> group, int index, Span<T> p, ReadOnlySpan<T> g)
    {
        var step = Constants(group, index);
        OptimizerKernels.Sgd(p, g, step.UseMomentum != 0 ? State(index, 0).AsSpan() : default, step);
    }
}

/// <summary>
/// Adam (Kingma &amp; Ba 2015), PyTorch's <c>torch.optim.Adam</c>: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
/// p ← p − (η / (1 − β₁ᵗ))·m / (√v / √(1 − β₂ᵗ) + ε), t the parameter's own step count. Weight decay here is an L2 term
/// added to g; for the decoupled form use <see cref="AdamW{T}"/>. State: <c>exp_avg</c> (m), <c>exp_avg_sq</c> (v).
/// </summary>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly string[] Names = ["exp_avg", "exp_avg_sq"];
    private static readonly string[] Options = ["weight_decay", "betas", "eps"];

    /// <summary>Creates the optimizer over one group.</summary>
    public Adam(IEnumerable<MtlTensor<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : base(parameters, learningRate) => Fill(beta1, beta2, epsilon, weightDecay);

    /// <summary>Creates the optimizer over <paramref name="groups"/>; the arguments are the defaults of the options a group leaves unset.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a β is outside [0, 1) or ε is negative.</exception>
    public Adam(IEnumerable<ParameterGroup<T>> groups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : base(groups, learningRate) => Fill(beta1, beta2, epsilon, weightDecay);

    private void Fill(double beta1, double beta2, double epsilon, double weightDecay)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        for (int g = 0; g < Groups.Count; g++)
        {
            var group = Groups[g];
            group.Beta1 ??= beta1;
            group.Beta2 ??= beta2;
            group.Epsilon ??= epsilon;
            group.WeightDecay ??= weightDecay;
            if (!(group.Beta1 is >= 0 and < 1) || !(group.Beta2 is >= 0 and < 1))
                throw new ArgumentOutOfRangeException(nameof(beta1), $"β₁ and β₂ must lie in [0, 1) (group {g} has {group.Beta1} and {group.Beta2}).");
            if (!(group.Epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(epsilon), group.Epsilon, $"ε must be ≥ 0 (group {g}).");
        }
    }

    /// <summary>The default β₁.</summary>
    public double Beta1 { get; private set; }

    /// <summary>The default β₂.</summary>
    public double Beta2 { get; private set; }

    /// <summary>The default ε.</summary>
    public double Epsilon { get; private set; }

    /// <summary>The default λ.</summary>
    public double WeightDecay { get; private set; }

    /// <summary>True for AdamW: decay the weights directly (p ← p(1 − ηλ)) instead of adding λp to the gradient.</summary>
    protected virtual bool Decoupled => false;

    /// <inheritdoc />
    protected override IReadOnlyList<string> StateNames => Names;

    /// <inheritdoc />
    protected override IReadOnlyList<string> OptionNames => Options;

    /// <summary>This step's constants for parameter <paramref name="index"/> of <paramref name="group"/> (bias corrections from its own step count).</summary>
    private AdamStep<T> Constants(ParameterGroup<T> group, int index)
    {
        long t = ParameterStep(index);
        double lr = Required(group.LearningRate, "lr"), beta1 = Required(group.Beta1, "betas"), beta2 = Required(group.Beta2, "betas");
        double weightDecay = Required(group.WeightDecay, "weight_decay");
        double correction1 = 1 - Math.Pow(beta1, t), correction2 = 1 - Math.Pow(beta2, t);
        T b1 = T.CreateChecked(beta1), b2 = T.CreateChecked(beta2);
        return new AdamStep<T>(b1, b2, T.One - b1, T.One - b2, T.CreateChecked(lr / correction1), T.CreateChecked(Math.Sqrt(correction2)),
            T.CreateChecked(Required(group.Epsilon, "eps")), T.CreateChecked(weightDecay), T.One - T.CreateChecked(lr * weightDecay), Decoupled ? 1 : 0);
    }

    /// <inheritdoc />
    protected override void UpdateOnDevice(ParameterGroup<T> group, int index, MtlTensor<T> p, MtlTensor<T> g) =>
        GpuTensorOps.AdamStep(p, g, State(index, 0), State(index, 1), Constants(group, index));

    /// <inheritdoc />
    protected override void Update(ParameterGroup<T> group, int index, Span<T> p, ReadOnlySpan<T> g) =>
        OptimizerKernels.Adam(p, g, State(index, 0).AsSpan(), State(index, 1).AsSpan(), Constants(group, index));
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter 2019), PyTorch's <c>torch.optim.AdamW</c>: Adam with decoupled weight decay,
/// p ← p(1 − ηλ) before the Adam step. PyTorch's default λ is 0.01.
/// </summary>
public sealed class AdamW<T> : Adam<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the optimizer over one group.</summary>
    public AdamW(IEnumerable<MtlTensor<T>> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <summary>Creates the optimizer over <paramref name="groups"/>; the arguments are the defaults of the options a group leaves unset.</summary>
    public AdamW(IEnumerable<ParameterGroup<T>> groups, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
        : base(groups, learningRate, beta1, beta2, epsilon, weightDecay) { }

    /// <inheritdoc />
    protected override bool Decoupled => true;
}

/// <summary>
/// RMSprop (Hinton's lecture 6e; the centered form of Graves 2013), PyTorch's <c>torch.optim.RMSprop</c>: g ← ∇ + λp;
/// v ← αv + (1 − α)g²; a ← √v + ε, or centered ḡ ← αḡ + (1 − α)g, a ← √(v − ḡ²) + ε; with momentum b ← μb + g/a,
/// p ← p − η·b, else p ← p − η·g/a. State: <c>square_avg</c> (v), <c>momentum_buffer</c> (b, with μ &gt; 0),
/// <c>grad_avg</c> (ḡ, centered).
/// </summary>
public sealed class RmsProp<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private static readonly string[] Names = ["square_avg", "momentum_buffer", "grad_avg"];
    private static readonly string[] Options = ["weight_decay", "alpha", "eps", "momentum", "centered"];

    /// <summary>Creates the optimizer over one group (PyTorch's defaults).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When α, ε or μ is negative.</exception>
    public RmsProp(IEnumerable<MtlTensor<T>> parameters, double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(parameters, learningRate) => Fill(alpha, epsilon, weightDecay, momentum, centered);

    /// <summary>Creates the optimizer over <paramref name="groups"/>; the arguments are the defaults of the options a group leaves unset.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When a group's α, ε or μ is negative.</exception>
    public RmsProp(IEnumerable<ParameterGroup<T>> groups, double learningRate = 0.01, double alpha = 0.99, double epsilon = 1e-8, double weightDecay = 0, double momentum = 0, bool centered = false)
        : base(groups, learningRate) => Fill(alpha, epsilon, weightDecay, momentum, centered);

    private void Fill(double alpha, double epsilon, double weightDecay, double momentum, bool centered)
    {
        for (int g = 0; g < Groups.Count; g++)
        {
            var group = Groups[g];
            group.Alpha ??= alpha;
            group.Epsilon ??= epsilon;
            group.WeightDecay ??= weightDecay;
            group.Momentum ??= momentum;
            group.Centered ??= centered;
            if (!(group.Alpha >= 0) || !(group.Epsilon >= 0) || !(group.Momentum >= 0))
                throw new ArgumentOutOfRangeException(nameof(alpha), $"α, ε and μ must be ≥ 0 (group {g} has {group.Alpha}, {group.Epsilon} and {group.Momentum}).");
        }
    }

    /// <inheritdoc />
    protected override IReadOnlyList<string> StateNames => Names;

    /// <inheritdoc />
    protected override IReadOnlyList<string> OptionNames => Options;

    private static RmsPropStep<T> Constants(ParameterGroup<T> group)
    {
        double momentum = Required(group.Momentum, "momentum");
        T alpha = T.CreateChecked(Required(group.Alpha, "alpha"));
        return new RmsPropStep<T>(T.CreateChecked(Required(group.LearningRate, "lr")), alpha, T.One - alpha, T.CreateChecked(Required(group.Epsilon, "eps")),
            T.CreateChecked(Required(group.WeightDecay, "weight_decay")), T.CreateChecked(momentum), momentum > 0 ? 1 : 0, Required(group.Centered, "centered") ? 1 : 0);
    }

    /// <inheritdoc />
    protected override void UpdateOnDevice(ParameterGroup<T> group, int index, MtlTensor<T> p, MtlTensor<T> g)
    {
        var step = Constants(group);
        GpuTensorOps.RmsPropStep(p, g, State(index, 0), step.UseMomentum != 0 ? State(index, 1) : null, step.Centered != 0 ? State(index, 2) : null, step);
    }

    /// <inheritdoc />
    protected override void Update(ParameterGroup<T> group, int index, Span<T> p, ReadOnlySpan<T> g)
    {
        var step = Constants(group);
        OptimizerKernels.RmsProp(p, g, State(index, 0).AsSpan(), step.UseMomentum != 0 ? State(index, 1).AsSpan() : default,
            step.Centered != 0 ? State(index, 2).AsSpan() : default, step);
    }
}
