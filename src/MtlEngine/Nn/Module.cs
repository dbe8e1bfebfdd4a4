using System.Numerics;
using MtlEngine.Data;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// A network building block (PyTorch's <c>nn.Module</c>): named parameters and named sub-modules, registered in
/// order, a train/eval mode, and a state dictionary whose names follow PyTorch's (<c>trunk.0.weight</c>) so that
/// weights move between the two through safetensors.
/// </summary>
/// <typeparam name="T">float (the default for training) or double.</typeparam>
public abstract class Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<KeyValuePair<string, MtlTensor<T>>> _parameters = [];
    private readonly List<KeyValuePair<string, Module<T>>> _children = [];
    private readonly List<KeyValuePair<string, MtlTensor<T>>> _buffers = [];
    private readonly Dictionary<string, DType> _bufferStateTypes = [];

    /// <summary>True in training mode (the default): dropout is active. <see cref="Eval"/> turns it off.</summary>
    public bool Training { get; private set; } = true;

    /// <summary>Applies the module to a batch.</summary>
    public abstract MtlTensor<T> Forward(MtlTensor<T> input);

    /// <summary>Registers a parameter (marked as requiring grad) under <paramref name="name"/> and returns it.</summary>
    /// <exception cref="ArgumentException">When the name is empty, contains a dot, or is already taken.</exception>
    protected MtlTensor<T> RegisterParameter(string name, MtlTensor<T> parameter)
    {
        ArgumentNullException.ThrowIfNull(parameter);
        CheckName(name);
        if (!parameter.IsContiguous)
            parameter = parameter.Clone();
        parameter.RequiresGrad = true;
        _parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>
    /// Registers a buffer (PyTorch's <c>register_buffer</c>): state that is saved, loaded and moved with the module but is
    /// not a parameter — it requires no grad and is not in <see cref="Parameters"/> (BatchNorm's running statistics).
    /// </summary>
    /// <param name="name">The state-dict name (<c>running_mean</c>).</param>
    /// <param name="buffer">The tensor; the module updates it in place.</param>
    /// <param name="stateType">null: the buffer is saved as <typeparamref name="T"/>; <see cref="DType.Int64"/>: saved as whole
    /// numbers (PyTorch's <c>num_batches_tracked</c>).</param>
    /// <exception cref="ArgumentException">When the name is empty, contains a dot, or is already taken, or the state type is another one.</exception>
    protected MtlTensor<T> RegisterBuffer(string name, MtlTensor<T> buffer, DType? stateType = null)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        CheckName(name);
        if (stateType is not (null or DType.Int64))
            throw new ArgumentException($"A buffer is saved as {typeof(T).Name} (state type null) or as Int64, not as {stateType}.", nameof(stateType));
        if (!buffer.IsContiguous)
            buffer = buffer.Clone();
        _buffers.Add(new(name, buffer.Detach()));
        if (stateType is DType type) _bufferStateTypes[name] = type;
        return _buffers[^1].Value;
    }

    /// <summary>Registers a sub-module under <paramref name="name"/> and returns it.</summary>
    /// <exception cref="ArgumentException">When the name is empty, contains a dot, or is already taken.</exception>
    protected TModule RegisterModule<TModule>(string name, TModule module) where TModule : Module<T>
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _children.Add(new(name, module));
        return module;
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('.'))
            throw new ArgumentException($"A parameter or module name cannot contain '.', but got \"{name}\" (dots join the names of nested modules).", nameof(name));
        if (_parameters.Exists(p => p.Key == name) || _children.Exists(c => c.Key == name) || _buffers.Exists(b => b.Key == name))
            throw new ArgumentException($"The name \"{name}\" is already registered in {GetType().Name}.", nameof(name));
    }

    /// <summary>The direct sub-modules with their names, in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Module<T>>> Children => _children;

    /// <summary>Every parameter with its dotted name (<c>trunk.0.weight</c>): this module's first, then each child's, depth first.</summary>
    public IEnumerable<KeyValuePair<string, MtlTensor<T>>> NamedParameters(string prefix = "")
    {
        foreach (var (name, parameter) in _parameters)
            yield return new(prefix + name, parameter);
        foreach (var (name, child) in _children)
            foreach (var entry in child.NamedParameters(prefix + name + "."))
                yield return entry;
    }

    /// <summary>Every buffer with its dotted name (<c>norm.running_mean</c>): this module's first, then each child's, depth first.</summary>
    public IEnumerable<KeyValuePair<string, MtlTensor<T>>> NamedBuffers(string prefix = "")
    {
        foreach (var (name, buffer) in _buffers)
            yield return new(prefix + name, buffer);
        foreach (var (name, child) in _children)
            foreach (var entry in child.NamedBuffers(prefix + name + "."))
                yield return entry;
    }

    /// <summary>
    /// Every entry of the state dictionary in PyTorch's order (<c>_save_to_state_dict</c>): a module's parameters, then its
    /// buffers, then each child's entries, depth first; with the element type each buffer has in the dictionary.
    /// </summary>
    private IEnumerable<(string Name, MtlTensor<T> Tensor, DType? StateType)> NamedState(string prefix = "")
    {
        foreach (var (name, parameter) in _parameters)
            yield return (prefix + name, parameter, null);
        foreach (var (name, buffer) in _buffers)
            yield return (prefix + name, buffer, _bufferStateTypes.TryGetValue(name, out var type) ? type : null);
        foreach (var (name, child) in _children)
            foreach (var entry in child.NamedState(prefix + name + "."))
                yield return entry;
    }

    /// <summary>Every parameter, in the order of <see cref="NamedParameters"/>.</summary>
    public IReadOnlyList<MtlTensor<T>> Parameters() => NamedParameters().Select(p => p.Value).ToList();

    /// <summary>The total number of parameter elements.</summary>
    public long ParameterCount => NamedParameters().Sum(p => (long)p.Value.Length);

    /// <summary>
    /// Moves every parameter (and its gradient) to <paramref name="device"/> in place, as PyTorch's <c>module.to(device)</c>:
    /// the same tensors, which layers and optimizers hold, now live there; forward, backward and the optimizers then run
    /// there. An explicit copy, once; the device memory belongs to the parameters. Create optimizers after the move or
    /// before it (they hold the same tensors).
    /// </summary>
    /// <returns>This module.</returns>
    /// <exception cref="Kernels.Gpu.GpuDeviceUnavailableException">When the device does not exist on this machine.</exception>
    public Module<T> To(Device device)
    {
        foreach (var (_, parameter) in NamedParameters()) parameter.MoveTo(device);
        foreach (var (_, buffer) in NamedBuffers()) buffer.MoveTo(device);
        return this;
    }

    /// <summary>The device of the first parameter (the CPU for a module without parameters).</summary>
    public Device Device => NamedParameters().Select(p => p.Value.Device).FirstOrDefault(Device.Cpu);

    /// <summary>Sets training mode (true) or evaluation mode (false) on this module and every sub-module.</summary>
    public void Train(bool training = true)
    {
        Training = training;
        foreach (var (_, child) in _children) child.Train(training);
    }

    /// <summary>Evaluation mode: <c>Train(false)</c>.</summary>
    public void Eval() => Train(false);

    /// <summary>
    /// Zero-fills every parameter's gradient in place (its buffer is kept for the next backward pass), in the order of
    /// <see cref="NamedParameters"/> but without its names and iterators: a call allocates nothing (it runs every step).
    /// </summary>
    public void ZeroGrad()
    {
        foreach (var (_, parameter) in _parameters) parameter.ZeroGrad();
        foreach (var (_, child) in _children) child.ZeroGrad();
    }

    /// <summary>The parameters and buffers as named arrays (copies), PyTorch state-dict names, order, shapes and element types.</summary>
    public IReadOnlyList<NdArray> StateDict() =>
        NamedState().Select(e => StateArray(e.Name, e.Tensor.To(Device.Cpu), e.StateType)).ToList(); // from a device: an explicit download

    private static NdArray StateArray(string name, MtlTensor<T> tensor, DType? stateType)
    {
        if (stateType is not DType.Int64) return NdArray.FromTensor(tensor, name);
        var values = tensor.ToArray().Select(long.CreateChecked).ToArray();
        return new NdArray(name, DType.Int64, tensor.Shape.ToArray(), values);
    }

    /// <summary>Copies values from named arrays into the parameters and buffers of the same names (converting the element type).</summary>
    /// <param name="state">The arrays, e.g. a safetensors file's tensors.</param>
    /// <param name="strict">Require that every parameter is present and no array is left over.</param>
    /// <exception cref="ArgumentException">When a shape differs, or (strict) a parameter is missing or an array unknown; the message names them.</exception>
    public void LoadStateDict(IReadOnlyList<NdArray> state, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(state);
        var byName = new Dictionary<string, NdArray>();
        foreach (var array in state) byName[array.Name] = array;
        var missing = new List<string>();
        foreach (var (name, parameter, _) in NamedState())
        {
            if (!byName.Remove(name, out var array))
            {
                missing.Add(name);
                continue;
            }
            if (!array.Shape.SequenceEqual(parameter.Shape))
                throw new ArgumentException(
                    $"State entry \"{name}\" has shape {MtlTensor<T>.ShapeText(array.Shape)} but the parameter has shape {MtlTensor<T>.ShapeText(parameter.Shape)}; the file was saved from a different architecture.");
            array.ToTensor<T>().CopyTo(parameter.Detach());
        }
        if (strict && (missing.Count > 0 || byName.Count > 0))
            throw new ArgumentException(
                $"The state does not match {GetType().Name}: missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", byName.Keys)}]. Pass strict: false to load the common entries.");
    }

    /// <summary>Writes the state dictionary to a safetensors file (readable by Python's safetensors / PyTorch).</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string> { ["format"] = "pt", ["mtl.module"] = GetType().Name };
        if (metadata is not null) foreach (var (k, v) in metadata) meta[k] = v;
        Safetensors.Write(path, StateDict(), meta);
    }

    /// <summary>Loads parameters from a safetensors file written by <see cref="Save"/> or by PyTorch's <c>save_file(model.state_dict())</c>.</summary>
    public void Load(string path, bool strict = true) => LoadStateDict(Safetensors.Read(path).Tensors, strict);

    /// <summary>This module (named <paramref name="prefix"/>, "" at the top) and every sub-module with its dotted name, depth first (PyTorch's <c>named_modules</c>).</summary>
    public IEnumerable<KeyValuePair<string, Module<T>>> NamedModules(string prefix = "")
    {
        yield return new(prefix, this);
        foreach (var (name, child) in _children)
            foreach (var entry in child.NamedModules(prefix.Length == 0 ? name : prefix + "." + name))
                yield return entry;
    }
}

/// <summary>
/// A module that draws random numbers while it runs (dropout, modality dropout): its generator, whose position a
/// training checkpoint saves and restores so that a resumed run draws what the uninterrupted run would have drawn.
/// </summary>
public interface IRandomizedModule
{
    /// <summary>The module's seeded generator.</summary>
    Tensors.Random.TensorRandom Random { get; }
}
