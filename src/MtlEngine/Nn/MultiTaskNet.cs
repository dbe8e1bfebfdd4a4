using System.Numerics;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>What a task predicts, which decides its head's width, its loss and its metric.</summary>
public enum TaskKind
{
    /// <summary>One of several classes: cross-entropy on logits, accuracy.</summary>
    Classification,
    /// <summary>Independent yes/no outputs: binary cross-entropy on logits, accuracy at 0.5.</summary>
    Binary,
    /// <summary>Real values: mean squared error, RMSE.</summary>
    Regression,
}

/// <summary>One task of a multi-task network.</summary>
/// <param name="Name">The task's name (also the head's name in the state dict: <c>heads.NAME.weight</c>).</param>
/// <param name="Kind">Classification, binary or regression.</param>
/// <param name="Outputs">The head's width: the number of classes, of binary outputs, or of regression targets.</param>
/// <param name="Weight">wᵢ in the total loss Σ wᵢ·lossᵢ.</param>
public sealed record TaskSpec(string Name, TaskKind Kind, int Outputs, double Weight = 1.0)
{
    /// <summary>
    /// For a classification task: the weight of each class in its cross-entropy (PyTorch's <c>weight</c>: Σ w_yᵢ·nllᵢ / Σ w_yᵢ),
    /// e.g. <see cref="ClassBalancing.BalancedClassWeights"/>; null weighs every class 1.
    /// </summary>
    public IReadOnlyList<double>? ClassWeights { get; init; }
}

/// <summary>Named sub-modules (PyTorch's <c>nn.ModuleDict</c>): a container, not a layer.</summary>
public sealed class ModuleDict<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, Module<T>> _byName = [];

    /// <summary>Adds <paramref name="module"/> under <paramref name="name"/>.</summary>
    public TModule Add<TModule>(string name, TModule module) where TModule : Module<T>
    {
        _byName[name] = RegisterModule(name, module);
        return module;
    }

    /// <summary>The module named <paramref name="name"/>.</summary>
    public Module<T> this[string name] => _byName[name];

    /// <summary>A dictionary has no single forward pass; call its modules.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input) =>
        throw new NotSupportedException("A ModuleDict is a container; call Forward on one of its modules.");
}

/// <summary>
/// Hard parameter sharing (Caruana 1997): a shared trunk of Linear + ReLU layers and one Linear head per task, over
/// one dense input named <see cref="InputName"/>. <see cref="Forward(MtlTensor{T})"/> returns the shared
/// representation; <see cref="ForwardTasks"/> one output per task. Parameter names: <c>trunk.0.weight</c>,
/// <c>trunk.2.weight</c>, ..., <c>heads.TASK.weight</c>; the trunk is shared, each head belongs to its task.
/// </summary>
public sealed class MultiTaskNet<T> : MultiTaskModel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The name of the network's one input in a <see cref="Batch{T}"/>.</summary>
    public const string InputName = "features";

    private readonly Linear<T>[] _heads;
    private static readonly string[] s_inputNames = [InputName];

    /// <summary>Builds the network with seeded initial weights.</summary>
    /// <param name="inputs">The input width.</param>
    /// <param name="hidden">The trunk's layer widths (each Linear followed by ReLU, and Dropout when <paramref name="dropout"/> &gt; 0).</param>
    /// <param name="tasks">The tasks, one head each.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="dropout">Dropout probability after each trunk activation.</param>
    /// <exception cref="ArgumentException">When there is no task or two tasks share a name.</exception>
    public MultiTaskNet(int inputs, IReadOnlyList<int> hidden, IReadOnlyList<TaskSpec> tasks, TensorRandom random, double dropout = 0)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(tasks);
        ArgumentNullException.ThrowIfNull(random);
        if (tasks.Count == 0) throw new ArgumentException("A multi-task network needs at least one task.", nameof(tasks));
        var duplicate = tasks.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"Two tasks are named \"{duplicate.Key}\"; task names must differ.", nameof(tasks));
        Tasks = tasks;
        Trunk = RegisterModule("trunk", Sequential<T>.Perceptron(inputs, hidden, random, dropout));
        int width = hidden.Count > 0 ? hidden[^1] : inputs;
        RepresentationWidth = width;
        Heads = RegisterModule("heads", new ModuleDict<T>());
        _heads = tasks.Select(t => Heads.Add(t.Name, new Linear<T>(width, t.Outputs, random))).ToArray();
        DeclareShared("trunk");
        foreach (var task in tasks) DeclareTask(task.Name, "heads." + task.Name);
    }

    /// <summary>The tasks, in head order.</summary>
    public override IReadOnlyList<TaskSpec> Tasks { get; }

    /// <inheritdoc />
    public override IReadOnlyList<string> InputNames => s_inputNames;

    /// <summary>The shared trunk.</summary>
    public Sequential<T> Trunk { get; }

    /// <summary>The heads by task name.</summary>
    public ModuleDict<T> Heads { get; }

    /// <summary>The width of the shared representation.</summary>
    public int RepresentationWidth { get; }

    /// <summary>The shared representation of a batch (the trunk's output).</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => Trunk.Forward(input);

    /// <summary>Each head applied to a representation, in task order.</summary>
    public MtlTensor<T>[] ForwardHeads(MtlTensor<T> representation)
    {
        var outputs = new MtlTensor<T>[_heads.Length]; // a loop, not LINQ: a training step allocates no delegate or enumerator here
        for (int t = 0; t < _heads.Length; t++) outputs[t] = _heads[t].Forward(representation);
        return outputs;
    }

    /// <summary>One output per task for a batch, in task order.</summary>
    public override MtlTensor<T>[] ForwardTasks(MtlTensor<T> input) => ForwardHeads(Forward(input));

    /// <summary>The trunk on the batch's <see cref="InputName"/> input, then every head on the shared representation.</summary>
    public override ModelOutput<T> Forward(Batch<T> batch)
    {
        CheckInputs(batch);
        var representation = Forward(batch.Input(InputName).RequireValues(InputName));
        var outputs = new Dictionary<string, MtlTensor<T>>();
        var representations = new Dictionary<string, MtlTensor<T>>();
        for (int t = 0; t < _heads.Length; t++)
        {
            outputs[Tasks[t].Name] = _heads[t].Forward(representation);
            representations[Tasks[t].Name] = representation;
        }
        return new ModelOutput<T>(outputs, representations);
    }
}
