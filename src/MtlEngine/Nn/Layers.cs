using System.Numerics;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>How <see cref="Linear{T}"/> draws its initial weight.</summary>
public enum LinearInit
{
    /// <summary>PyTorch's default: weight and bias U(−1/√in, 1/√in).</summary>
    PyTorchDefault,
    /// <summary>Xavier/Glorot uniform weight, zero bias.</summary>
    XavierUniform,
    /// <summary>Kaiming/He uniform weight (for ReLU), zero bias.</summary>
    KaimingUniform,
    /// <summary>Kaiming/He normal weight (for ReLU), zero bias.</summary>
    KaimingNormal,
}

/// <summary>
/// y = x·Wᵀ + b with W of shape (out, in) as in PyTorch, so state dicts match. Wᵀ is a transposed view that the
/// GEMM reads by strides (no copy), forward and backward.
/// </summary>
public sealed class Linear<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a layer with seeded initial weights.</summary>
    /// <param name="inFeatures">The input width.</param>
    /// <param name="outFeatures">The output width.</param>
    /// <param name="random">The generator the initial values are drawn from.</param>
    /// <param name="bias">Whether to add a bias.</param>
    /// <param name="init">The weight initializer.</param>
    public Linear(int inFeatures, int outFeatures, TensorRandom random, bool bias = true, LinearInit init = LinearInit.PyTorchDefault)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inFeatures, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outFeatures, 1);
        ArgumentNullException.ThrowIfNull(random);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        T bound = T.One / T.Sqrt(T.CreateChecked(inFeatures));
        var weight = init switch
        {
            LinearInit.XavierUniform => Init.XavierUniform<T>(random, outFeatures, inFeatures),
            LinearInit.KaimingUniform => Init.KaimingUniform<T>(random, outFeatures, inFeatures),
            LinearInit.KaimingNormal => Init.KaimingNormal<T>(random, outFeatures, inFeatures),
            _ => Init.Uniform(random, [outFeatures, inFeatures], bound),
        };
        Weight = RegisterParameter("weight", weight);
        if (bias)
            Bias = RegisterParameter("bias", init == LinearInit.PyTorchDefault ? Init.Uniform(random, [outFeatures], bound) : MtlTensor.Zeros<T>(outFeatures));
    }

    /// <summary>The input width.</summary>
    public int InFeatures { get; }

    /// <summary>The output width.</summary>
    public int OutFeatures { get; }

    /// <summary>The weight, shape (out, in).</summary>
    public MtlTensor<T> Weight { get; }

    /// <summary>The bias, shape (out,), or null.</summary>
    public MtlTensor<T>? Bias { get; }

    /// <summary>x of shape (..., in) → (..., out).</summary>
    /// <exception cref="ArgumentException">When the last dimension of x is not <see cref="InFeatures"/>.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank == 0 || input.Shape[^1] != InFeatures)
            throw new ArgumentException($"Linear({InFeatures} → {OutFeatures}) got an input of shape {MtlTensor<T>.ShapeText(input.Shape)}; its last dimension must be {InFeatures}.");
        var y = input.Matmul(Weight.Transpose());
        return Bias is null ? y : y + Bias;
    }
}

/// <summary>Applies its modules in order; they are named "0", "1", ... as in PyTorch's <c>nn.Sequential</c>.</summary>
public sealed class Sequential<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Module<T>> _layers = [];

    /// <summary>Creates the chain.</summary>
    public Sequential(params Module<T>[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var layer in layers) Append(layer);
    }

    /// <summary>
    /// A multilayer perceptron: per width of <paramref name="hidden"/> a Linear layer, ReLU and, when
    /// <paramref name="dropout"/> &gt; 0, Dropout (seeded from <paramref name="random"/>'s seed); names <c>0.weight</c>,
    /// <c>2.weight</c>, ... (every third with dropout). Its output width is the last hidden width (<paramref name="inputs"/>
    /// when there is none).
    /// </summary>
    public static Sequential<T> Perceptron(int inputs, IReadOnlyList<int> hidden, TensorRandom random, double dropout = 0)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        ArgumentNullException.ThrowIfNull(random);
        var layers = new Sequential<T>();
        int width = inputs;
        for (int l = 0; l < hidden.Count; l++)
        {
            layers.Append(new Linear<T>(width, hidden[l], random));
            layers.Append(new ReLU<T>());
            if (dropout > 0) layers.Append(new Dropout<T>(dropout, random.Seed + 1000UL + (ulong)l));
            width = hidden[l];
        }
        return layers;
    }

    /// <summary>Adds a module at the end (named by its index).</summary>
    public void Append(Module<T> layer) => _layers.Add(RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));

    /// <summary>The modules in order.</summary>
    public IReadOnlyList<Module<T>> Layers => _layers;

    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        foreach (var layer in _layers) input = layer.Forward(input);
        return input;
    }
}

/// <summary>relu(x) = max(x, 0).</summary>
public sealed class ReLU<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.Relu();
}

/// <summary>GELU, tanh approximation (see <see cref="Functional.Gelu{T}"/>).</summary>
public sealed class GELU<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.Gelu();
}

/// <summary>tanh x.</summary>
public sealed class Tanh<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.Tanh();
}

/// <summary>σ(x) = 1 / (1 + e⁻ˣ).</summary>
public sealed class Sigmoid<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.Sigmoid();
}

/// <summary>
/// Inverted dropout: in training mode each element is zeroed with probability p and the rest scaled by 1/(1 − p),
/// so evaluation mode is the identity. The mask comes from a seeded generator owned by the layer.
/// </summary>
public sealed class Dropout<T> : Module<T>, ISliceDraws where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly TensorRandom _random;

    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When p is not in [0, 1).</exception>
    public Dropout(double p, ulong seed)
    {
        if (!(p >= 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, "The dropout probability must be in [0, 1).");
        P = p;
        _random = new TensorRandom(seed);
    }

    /// <summary>The probability of zeroing an element.</summary>
    public double P { get; }

    /// <summary>The generator of the masks.</summary>
    public TensorRandom Random => _random;

    /// <inheritdoc />
    public BatchSlice? Slice { get; set; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">On a <see cref="Slice"/>, when the input's first axis is not the slice's rows.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!Training || P == 0) return input;
        var keep = Slice is { } slice ? SliceMask(input, slice) : _random.Bernoulli<T>(input.Shape.ToArray(), 1 - P);
        return input * keep.To(input.Device) * T.CreateChecked(1 / (1 - P)); // drawn on the host (seeded), uploaded on a device
    }

    /// <summary>The slice's rows of the whole batch's mask (the mask the local step draws for the batch).</summary>
    private MtlTensor<T> SliceMask(MtlTensor<T> input, BatchSlice slice)
    {
        var shape = input.Shape.ToArray();
        if (shape.Length == 0 || shape[0] != slice.Count)
            throw new ArgumentException($"Dropout on a slice of {slice.Count} rows got an input of shape ({string.Join(", ", shape)}), whose first axis is not the rows; this model cannot train data-parallel.");
        int rowLength = input.Length / Math.Max(1, slice.Count);
        shape[0] = slice.BatchRows;
        var whole = _random.Bernoulli<T>(shape, 1 - P).ToArray();
        shape[0] = slice.Count;
        return MtlTensor.FromArray(slice.Rows<T>(whole, rowLength).ToArray(), shape);
    }
}

/// <summary>Layer normalization over the last axis with a learned scale γ ("weight", ones) and shift β ("bias", zeros).</summary>
public sealed class LayerNorm<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer for rows of <paramref name="features"/> values.</summary>
    public LayerNorm(int features, double epsilon = 1e-5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        Epsilon = T.CreateChecked(epsilon);
        Weight = RegisterParameter("weight", MtlTensor.Ones<T>(features));
        Bias = RegisterParameter("bias", MtlTensor.Zeros<T>(features));
    }

    /// <summary>ε added to the variance.</summary>
    public T Epsilon { get; }

    /// <summary>γ, shape (features,).</summary>
    public MtlTensor<T> Weight { get; }

    /// <summary>β, shape (features,).</summary>
    public MtlTensor<T> Bias { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.LayerNorm(Weight, Bias, Epsilon);
}
