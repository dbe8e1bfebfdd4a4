using System.Collections;
using System.Globalization;
using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// A list of sub-modules named "0", "1", ... (PyTorch's <c>nn.ModuleList</c>): it registers them, so their parameters
/// appear as <c>0.weight</c>, <c>1.weight</c>, ..., but it has no Forward of its own — the owner decides how to call them.
/// </summary>
public sealed class ModuleList<T> : Module<T>, IReadOnlyList<Module<T>> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Module<T>> _modules = [];

    /// <summary>Creates the list.</summary>
    public ModuleList(params Module<T>[] modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        foreach (var module in modules) Append(module);
    }

    /// <summary>Adds a module at the end (named by its index).</summary>
    public void Append(Module<T> module) => _modules.Add(RegisterModule(_modules.Count.ToString(CultureInfo.InvariantCulture), module));

    /// <summary>The module at <paramref name="index"/>.</summary>
    public Module<T> this[int index] => _modules[index];

    /// <summary>The number of modules.</summary>
    public int Count => _modules.Count;

    /// <summary>The modules in order.</summary>
    public IEnumerator<Module<T>> GetEnumerator() => _modules.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Always throws: a ModuleList holds modules but does not chain them (use <see cref="Sequential{T}"/> for that).</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input) =>
        throw new NotSupportedException(
            $"ModuleList has no Forward: call its {Count} modules yourself (list[i].Forward(x)), or use Sequential to apply them in order.");
}
