using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// A set of parameters with its own hyperparameters, PyTorch's <c>param_groups</c> entry: for example the trunk at a
/// smaller learning rate than the heads, or biases without weight decay.
/// <code>
/// var optimizer = new AdamW&lt;float&gt;([
///     new ParameterGroup&lt;float&gt;(net.Trunk.Parameters()) { LearningRate = 1e-4 },
///     new ParameterGroup&lt;float&gt;(net.Heads.Parameters()) { WeightDecay = 0 }], learningRate: 1e-3);
/// </code>
/// An option left null takes the optimizer's default (the constructor's argument) when the optimizer takes the group,
/// as PyTorch's <c>setdefault</c>; afterwards every option the optimizer uses is set, and changing one (a schedule
/// setting <see cref="LearningRate"/>) takes effect at the next step. Options an optimizer does not use stay null.
/// </summary>
/// <typeparam name="T">The parameters' element type.</typeparam>
public sealed class ParameterGroup<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A group over <paramref name="parameters"/> (in order), every option unset.</summary>
    /// <exception cref="ArgumentNullException">When <paramref name="parameters"/> or one of them is null.</exception>
    public ParameterGroup(IEnumerable<MtlTensor<T>> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToArray();
        foreach (var p in list) ArgumentNullException.ThrowIfNull(p, nameof(parameters));
        Parameters = list;
    }

    /// <summary>The parameters, in order.</summary>
    public IReadOnlyList<MtlTensor<T>> Parameters { get; }

    /// <summary>η, the learning rate of the next step (every optimizer).</summary>
    public double? LearningRate { get; set; }

    /// <summary>The learning rate the group started with (PyTorch's <c>initial_lr</c>): what <see cref="LearningRateScheduler{T}"/> scales. Set by the optimizer from <see cref="LearningRate"/> when unset.</summary>
    public double? InitialLearningRate { get; set; }

    /// <summary>λ, the weight decay (every optimizer; an L2 term added to the gradient, except in AdamW where it is decoupled).</summary>
    public double? WeightDecay { get; set; }

    /// <summary>μ, the momentum (SGD, RMSprop).</summary>
    public double? Momentum { get; set; }

    /// <summary>τ, the dampening of the momentum (SGD).</summary>
    public double? Dampening { get; set; }

    /// <summary>Whether SGD uses Nesterov momentum.</summary>
    public bool? Nesterov { get; set; }

    /// <summary>β₁, the decay of the first moment (Adam, AdamW).</summary>
    public double? Beta1 { get; set; }

    /// <summary>β₂, the decay of the second moment (Adam, AdamW).</summary>
    public double? Beta2 { get; set; }

    /// <summary>ε, added to the denominator (Adam, AdamW, RMSprop).</summary>
    public double? Epsilon { get; set; }

    /// <summary>α, the smoothing constant of the square average (RMSprop).</summary>
    public double? Alpha { get; set; }

    /// <summary>Whether RMSprop divides by the centered second moment (an estimate of the variance).</summary>
    public bool? Centered { get; set; }

    /// <summary>The value of option <paramref name="name"/> (PyTorch's key: lr, initial_lr, weight_decay, momentum, dampening, nesterov, betas, eps, alpha, centered) as doubles (booleans 0 or 1), or null when unset.</summary>
    internal double[]? GetOption(string name) => name switch
    {
        "lr" => Wrap(LearningRate),
        "initial_lr" => Wrap(InitialLearningRate),
        "weight_decay" => Wrap(WeightDecay),
        "momentum" => Wrap(Momentum),
        "dampening" => Wrap(Dampening),
        "nesterov" => Wrap(Nesterov is bool n ? (n ? 1 : 0) : null),
        "betas" => Beta1 is double b1 && Beta2 is double b2 ? [b1, b2] : null,
        "eps" => Wrap(Epsilon),
        "alpha" => Wrap(Alpha),
        "centered" => Wrap(Centered is bool c ? (c ? 1 : 0) : null),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown option."),
    };

    /// <summary>Sets option <paramref name="name"/> from the values <see cref="GetOption"/> returns.</summary>
    internal void SetOption(string name, double[] values)
    {
        switch (name)
        {
            case "lr": LearningRate = values[0]; break;
            case "initial_lr": InitialLearningRate = values[0]; break;
            case "weight_decay": WeightDecay = values[0]; break;
            case "momentum": Momentum = values[0]; break;
            case "dampening": Dampening = values[0]; break;
            case "nesterov": Nesterov = values[0] != 0; break;
            case "betas": (Beta1, Beta2) = (values[0], values[1]); break;
            case "eps": Epsilon = values[0]; break;
            case "alpha": Alpha = values[0]; break;
            case "centered": Centered = values[0] != 0; break;
            default: throw new ArgumentOutOfRangeException(nameof(name), name, "Unknown option.");
        }
    }

    /// <summary>How many values option <paramref name="name"/> has (2 for betas, else 1).</summary>
    internal static int OptionLength(string name) => name == "betas" ? 2 : 1;

    private static double[]? Wrap(double? value) => value is double v ? [v] : null;
}
