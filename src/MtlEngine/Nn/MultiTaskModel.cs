using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// What a <see cref="MultiTaskModel{T}"/> returns for a batch: one output per task (logits or values, shape (n, outputs))
/// and, per task, the representation its head reads — the same tensor for every task under hard sharing, one per task
/// for mixtures of experts. Training strategies that work on the representation (LibMTL's <c>rep_grad</c>) use it.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
/// <param name="Outputs">Task name → output.</param>
/// <param name="Representations">Task name → the representation that task's head reads.</param>
public sealed record ModelOutput<T>(IReadOnlyDictionary<string, MtlTensor<T>> Outputs, IReadOnlyDictionary<string, MtlTensor<T>> Representations)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// A term the model adds to the training loss besides the tasks' (a regularization, such as DSelect-k's selector
    /// entropy), a scalar in the graph; null when there is none. The <see cref="Trainer{T}"/> adds its gradient to what the
    /// training strategy wrote, so that no strategy mistakes it for a task.
    /// </summary>
    public MtlTensor<T>? AuxiliaryLoss { get; init; }

    /// <summary>The output of task <paramref name="task"/>, or an error listing the tasks.</summary>
    /// <exception cref="KeyNotFoundException">When the model has no such task.</exception>
    public MtlTensor<T> this[string task] => Outputs.TryGetValue(task, out var output)
        ? output
        : throw new KeyNotFoundException($"The model has no task \"{task}\"; its tasks are [{string.Join(", ", Outputs.Keys)}].");
}

/// <summary>The role of a parameter in a multi-task model.</summary>
public enum ParameterRole
{
    /// <summary>Used by every task (trunk, encoders, experts): the parameters whose task gradients may conflict.</summary>
    Shared,
    /// <summary>Belongs to one task (its head, its gate, its tower).</summary>
    Task,
}

/// <summary>
/// The contract of every model with several named inputs and several tasks: a <see cref="Batch{T}"/> in, a
/// <see cref="ModelOutput{T}"/> (named outputs and the representations the heads read) out, and for every parameter
/// whether it is shared or belongs to one task, so that a training strategy can ask any architecture for
/// <see cref="SharedParameters"/> or <see cref="TaskParameters"/>.
/// </summary>
/// <remarks>
/// A subclass declares the roles by the dotted prefixes of its parameter names: <see cref="DeclareShared"/>
/// (<c>"trunk"</c>, <c>"encoders"</c>) and <see cref="DeclareTask"/> (<c>"heads.price"</c>). The longest declared
/// prefix of a parameter's name decides its role; a parameter that no prefix covers is an error, reported with its
/// name the first time roles are asked for.
/// </remarks>
/// <typeparam name="T">The element type.</typeparam>
public abstract class MultiTaskModel<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<(string Prefix, ParameterRole Role, string? Task)> _roles = [];

    /// <summary>The tasks, in output order.</summary>
    public abstract IReadOnlyList<TaskSpec> Tasks { get; }

    /// <summary>The names of the inputs a batch must hold.</summary>
    public abstract IReadOnlyList<string> InputNames { get; }

    /// <summary>Applies the model to a batch: one output per task, with the representations the heads read.</summary>
    public abstract ModelOutput<T> Forward(Batch<T> batch);

    /// <summary>
    /// A model with one dense input: the outputs for <paramref name="input"/> as that input, in task order.
    /// </summary>
    /// <exception cref="InvalidOperationException">When the model has several inputs.</exception>
    public virtual MtlTensor<T>[] ForwardTasks(MtlTensor<T> input)
    {
        if (InputNames.Count != 1)
            throw new InvalidOperationException($"{GetType().Name} has {InputNames.Count} inputs [{string.Join(", ", InputNames)}]; pass a Batch with each of them.");
        var output = Forward(Batch<T>.Of(InputNames[0], input));
        return Tasks.Select(t => output[t.Name]).ToArray();
    }

    /// <summary>Declares the parameters under <paramref name="prefix"/> (a module's dotted name) as shared by every task.</summary>
    protected void DeclareShared(string prefix) => Declare(prefix, ParameterRole.Shared, null);

    /// <summary>Declares the parameters under <paramref name="prefix"/> as belonging to task <paramref name="task"/>.</summary>
    /// <exception cref="ArgumentException">When the model has no such task.</exception>
    protected void DeclareTask(string task, string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(task);
        Declare(prefix, ParameterRole.Task, task);
    }

    /// <summary>Declares, for every task, the parameters under <c>module.TASK</c> (a per-task head, gate or tower) as that task's own.</summary>
    protected void DeclarePerTask(string module)
    {
        ArgumentException.ThrowIfNullOrEmpty(module);
        foreach (var task in Tasks) DeclareTask(task.Name, module + "." + task.Name);
    }

    private void Declare(string prefix, ParameterRole role, string? task)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (_roles.Exists(r => r.Prefix == prefix))
            throw new ArgumentException($"The prefix \"{prefix}\" already has a role.", nameof(prefix));
        _roles.Add((prefix, role, task));
    }

    /// <summary>The role of the parameter named <paramref name="name"/> and, for a task parameter, its task.</summary>
    /// <exception cref="InvalidOperationException">When no declared prefix covers the name.</exception>
    public (ParameterRole Role, string? Task) RoleOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int best = -1;
        for (int r = 0; r < _roles.Count; r++)
        {
            string prefix = _roles[r].Prefix;
            bool covers = name == prefix || name.StartsWith(prefix + ".", StringComparison.Ordinal);
            if (covers && (best < 0 || prefix.Length > _roles[best].Prefix.Length)) best = r;
        }
        if (best < 0)
            throw new InvalidOperationException(
                $"Parameter \"{name}\" of {GetType().Name} is neither shared nor owned by a task; declare its module with DeclareShared or DeclareTask.");
        var (_, role, task) = _roles[best];
        if (task is not null && !Tasks.Any(t => t.Name == task))
            throw new InvalidOperationException($"{GetType().Name} declares parameters for task \"{task}\", which is not one of its tasks.");
        return (role, task);
    }

    /// <summary>The parameters every task uses (the trunk, the encoders, the experts), with their names, in state-dict order.</summary>
    public IReadOnlyList<KeyValuePair<string, MtlTensor<T>>> SharedParameters() =>
        NamedParameters().Where(p => RoleOf(p.Key).Role == ParameterRole.Shared).ToList();

    /// <summary>
    /// The weights of the last shared layer (GradNorm's W, Chen et al. 2018): by default the last shared parameter named
    /// <c>*.weight</c> in state-dict order, the trunk's last Linear for hard parameter sharing. An architecture whose last
    /// shared layer is several modules side by side (MMoE's experts, cross-stitch's columns) overrides this and returns the
    /// last weight of each, so that no task's gradient is measured on one module of several.
    /// </summary>
    /// <exception cref="InvalidOperationException">When the model has no shared parameter named *.weight.</exception>
    public virtual IReadOnlyList<MtlTensor<T>> LastSharedLayer()
    {
        var weights = SharedParameters().Where(p => p.Key.EndsWith("weight", StringComparison.Ordinal)).ToList();
        return weights.Count > 0
            ? [weights[^1].Value]
            : throw new InvalidOperationException($"{GetType().Name} has no shared parameter named *.weight, so it has no last shared layer (GradNorm needs one).");
    }

    /// <summary>The parameters that belong to task <paramref name="task"/> alone, with their names, in state-dict order.</summary>
    /// <exception cref="ArgumentException">When the model has no such task.</exception>
    public IReadOnlyList<KeyValuePair<string, MtlTensor<T>>> TaskParameters(string task)
    {
        if (!Tasks.Any(t => t.Name == task))
            throw new ArgumentException($"{GetType().Name} has no task \"{task}\"; its tasks are [{string.Join(", ", Tasks.Select(t => t.Name))}].", nameof(task));
        return NamedParameters().Where(p => RoleOf(p.Key) is (ParameterRole.Task, var owner) && owner == task).ToList();
    }

    /// <summary>Checks that every parameter has a role (throws on the first that has none).</summary>
    /// <exception cref="InvalidOperationException">When a parameter is neither shared nor owned by a task.</exception>
    public void CheckRoles()
    {
        foreach (var (name, _) in NamedParameters()) RoleOf(name);
    }

    /// <summary>Checks that <paramref name="batch"/> holds every input the model reads.</summary>
    /// <exception cref="ArgumentException">When an input is missing; the message lists what the model needs.</exception>
    protected void CheckInputs(Batch<T> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        foreach (string name in InputNames)
            if (!batch.Inputs.ContainsKey(name))
                throw new ArgumentException($"{GetType().Name} needs the inputs [{string.Join(", ", InputNames)}], but the batch has no \"{name}\" (it has [{string.Join(", ", batch.Inputs.Keys)}]).");
    }
}
