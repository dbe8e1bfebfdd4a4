using System.Numerics;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.MultiModal;

/// <summary>How an encoder fills the representation of a sample whose input is missing.</summary>
public enum MissingFill
{
    /// <summary>Zeros (the default): the fusion sees the input as missing through its presence mask.</summary>
    Zeros,
    /// <summary>The running mean of the present training samples' representations (a buffer, <c>missing_mean</c>).</summary>
    Mean,
    /// <summary>A learned vector (a parameter, <c>missing_token</c>) that stands in for the missing representation.</summary>
    Learned,
}

/// <summary>
/// Turns one input of a batch (a table, a picture, a text) into a (n, <see cref="OutputWidth"/>) representation. A
/// sample whose input is missing (its presence mask is 0) gets a zero row (or the fill <see cref="UseMissingFill"/> chose),
/// so nothing of the missing value reaches the fusion.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public abstract class InputEncoder<T> : Module<T>, ISynchronizedModule where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// The step's collective in a data-parallel slice, else null. With the running-mean fill (<see cref="MissingFill.Mean"/>)
    /// the slices all-gather each slice's count and sum of present representations, so every slice updates
    /// <c>missing_mean</c> with the whole batch's mean, as the local step does (the buffer comes back to the coordinator with
    /// the other synchronized buffers); with another fill the encoder needs no collective.
    /// </summary>
    public ISliceCollective? Collective { get; set; }

    /// <summary>Only the running-mean fill needs the collective.</summary>
    bool ISynchronizedModule.NeedsCollective => MissingMean is not null;

    /// <summary>The width of the representation.</summary>
    public abstract int OutputWidth { get; }

    /// <summary>How the rows of samples that miss this input are filled (<see cref="MissingFill.Zeros"/> unless <see cref="UseMissingFill"/> chose another).</summary>
    public MissingFill MissingFill { get; private set; } = MissingFill.Zeros;

    /// <summary>The learned representation of a missing input (<c>missing_token</c>, shape (<see cref="OutputWidth"/>,)), with <see cref="MissingFill.Learned"/>.</summary>
    public MtlTensor<T>? MissingToken { get; private set; }

    /// <summary>The running mean of the present samples' representations (<c>missing_mean</c>, a buffer), with <see cref="MissingFill.Mean"/>.</summary>
    public MtlTensor<T>? MissingMean { get; private set; }

    /// <summary>The momentum μ of <see cref="MissingMean"/>: mean ← (1 − μ)·mean + μ·(the batch's mean), as BatchNorm's running mean.</summary>
    public const double MissingMeanMomentum = 0.1;

    /// <summary>
    /// Chooses how the representation of a missing input is filled; call it once, right after construction (it registers the
    /// learned token as the parameter <c>missing_token</c> (zeros, so training starts from the zero fill) or the running mean as
    /// the buffer <c>missing_mean</c>).
    /// </summary>
    /// <returns>This encoder.</returns>
    /// <exception cref="InvalidOperationException">When a fill other than zeros was chosen before.</exception>
    public InputEncoder<T> UseMissingFill(MissingFill fill)
    {
        if (MissingFill != MissingFill.Zeros) throw new InvalidOperationException($"The encoder's missing fill is already {MissingFill}; choose it once.");
        MissingFill = fill;
        if (fill == MissingFill.Learned) MissingToken = RegisterParameter("missing_token", MtlTensor.Zeros<T>(OutputWidth));
        else if (fill == MissingFill.Mean) MissingMean = RegisterBuffer("missing_mean", MtlTensor.Zeros<T>(OutputWidth));
        return this;
    }

    /// <summary>
    /// The representation of the samples' input, shape (n, <see cref="OutputWidth"/>); the rows of samples whose input is
    /// missing are filled as <see cref="MissingFill"/> says: zeros, the running mean of the present training representations
    /// (updated in training mode from each batch's present rows, outside the graph), or the learned token,
    /// <code>
    /// r = m ⊙ enc(x) + (1 − m) ⊙ fill
    /// </code>
    /// </summary>
    public MtlTensor<T> Encode(BatchInput<T> input, string name)
    {
        ArgumentNullException.ThrowIfNull(input);
        var encoded = EncodePresent(input, name);
        if (MissingMean is not null && Training) UpdateMissingMean(encoded, input.Present);
        if (input.Present is null) return encoded;
        var mask = input.Present.Reshape(input.Count, 1);
        var kept = encoded * mask; // the missing samples' rows become 0 (the mask is a constant)
        var fill = MissingToken ?? MissingMean;
        return fill is null ? kept : kept + (T.One - mask) * fill;
    }

    /// <summary>
    /// mean ← (1 − μ)·mean + μ·(the mean of the present rows), when the batch has any. In a data-parallel slice
    /// (<see cref="Collective"/> set) the mean is the whole batch's: every slice sends its count and column sums of present
    /// rows (in double), and every slice divides the slice-ordered totals, so all slices hold the same buffer.
    /// </summary>
    private void UpdateMissingMean(MtlTensor<T> encoded, MtlTensor<T>? present)
    {
        using var _ = Autograd.Grad.NoGrad();
        var rows = encoded.Detach();
        MtlTensor<T> batchMean;
        if (Collective is { } collective)
        {
            var mask = present is null ? null : DataParallel.ToDouble(present);
            var values = DataParallel.ToDouble(rows);
            int width = OutputWidth, n = rows.Shape[0];
            var local = new double[1 + width];
            for (int i = 0; i < n; i++)
            {
                double m = mask is null ? 1 : mask[i];
                if (m == 0) continue;
                local[0] += m;
                for (int j = 0; j < width; j++) local[1 + j] += m * values[i * width + j];
            }
            var all = collective.AllGather(local); // every slice calls it, also one without present rows
            var total = new double[1 + width];
            foreach (var part in all)
                for (int j = 0; j < total.Length; j++) total[j] += part[j];
            if (total[0] == 0) return;
            var mean = new T[width];
            for (int j = 0; j < width; j++) mean[j] = T.CreateChecked(total[1 + j] / total[0]);
            batchMean = MtlTensor.FromArray(mean, width);
            if (rows.Device.Kind != DeviceKind.Cpu) batchMean = batchMean.To(rows.Device);
        }
        else if (present is null)
        {
            if (rows.Shape[0] == 0) return;
            batchMean = rows.Mean(0);
        }
        else
        {
            var count = present.Sum().Item();
            if (count == T.Zero) return;
            batchMean = (rows * present.Reshape(present.Length, 1)).Sum(0) / count;
        }
        T momentum = T.CreateChecked(MissingMeanMomentum);
        (MissingMean! * (T.One - momentum) + batchMean * momentum).CopyTo(MissingMean!);
    }

    /// <summary>The representation, ignoring the presence mask.</summary>
    protected abstract MtlTensor<T> EncodePresent(BatchInput<T> input, string name);

    /// <summary>A dense input as (n, features): the values flattened after the sample axis.</summary>
    protected static MtlTensor<T> Flat(BatchInput<T> input, string name)
    {
        var values = input.RequireValues(name);
        return values.Rank == 2 ? values : values.Reshape(input.Count, input.Count == 0 ? 0 : values.Length / input.Count);
    }

    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => Encode(BatchInput<T>.Dense(input), "input");
}

/// <summary>The input itself, flattened to (n, features): precomputed features, or raw values for a model that needs no encoder.</summary>
public sealed class IdentityEncoder<T>(int width) : InputEncoder<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public override int OutputWidth { get; } = width;

    /// <inheritdoc />
    protected override MtlTensor<T> EncodePresent(BatchInput<T> input, string name) => Flat(input, name);
}

/// <summary>A multilayer perceptron over the flattened input: Linear → ReLU per hidden width (<c>layers.0.weight</c>, ...).</summary>
public sealed class MlpEncoder<T> : InputEncoder<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T> _layers;

    /// <summary>Creates the layers with seeded weights.</summary>
    /// <param name="inputs">The flattened input width.</param>
    /// <param name="hidden">The hidden widths; the last is <see cref="OutputWidth"/>.</param>
    /// <param name="random">The generator of the initial weights.</param>
    public MlpEncoder(int inputs, IReadOnlyList<int> hidden, TensorRandom random)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Count == 0) throw new ArgumentException("An MLP encoder needs at least one hidden width.", nameof(hidden));
        _layers = RegisterModule("layers", Sequential<T>.Perceptron(inputs, hidden, random));
        OutputWidth = hidden[^1];
    }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <inheritdoc />
    protected override MtlTensor<T> EncodePresent(BatchInput<T> input, string name) => _layers.Forward(Flat(input, name));
}

/// <summary>
/// A small convolutional network for pictures given as (n, C, H, W): per block a k×k convolution (k odd, 3 by default,
/// padding (k − 1)/2, so the picture keeps its size) → ReLU → 2×2 max-pool (while the picture is at least 4 pixels on each
/// side), then the readout: by default (<see cref="CnnReadout.Pool"/>) an adaptive average pool to at most 2×2 and a
/// flatten; with <see cref="CnnReadout.Flatten"/> the last block's whole map is flattened (C·h·w values), which keeps where
/// in the picture each feature is (LeNet, and Lin et al. 2019's encoder for Multi-MNIST). Names: <c>blocks.0.weight</c>
/// (the first convolution), <c>blocks.3.weight</c>, ...
/// </summary>
public sealed class CnnEncoder<T> : InputEncoder<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Sequential<T> _blocks;
    private readonly List<(Conv2d<T> Conv, MaxPool2d<T>? Pool)> _blockLayers = [];
    private readonly AdaptiveAvgPool2d<T>? _readout;

    /// <summary>Creates the blocks for pictures of <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/>.</summary>
    /// <param name="channels">C of the input.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="blockChannels">The output channels of each block.</param>
    /// <param name="random">The generator of the initial weights.</param>
    /// <param name="kernel">k of every k×k convolution: odd, at least 1 (padding (k − 1)/2 keeps the picture's size).</param>
    /// <param name="readout">How the last block's maps become the encoding: a 2×2 average pool, or the whole map flattened.</param>
    /// <exception cref="ArgumentException">When there is no block, or <paramref name="kernel"/> is even or below 1.</exception>
    public CnnEncoder(int channels, int height, int width, IReadOnlyList<int> blockChannels, TensorRandom random, int kernel = 3,
        CnnReadout readout = CnnReadout.Pool)
    {
        ArgumentNullException.ThrowIfNull(blockChannels);
        if (blockChannels.Count == 0) throw new ArgumentException("A CNN encoder needs at least one block.", nameof(blockChannels));
        if (kernel < 1 || kernel % 2 == 0)
            throw new ArgumentException($"The CNN encoder's kernel is {kernel}; give an odd size of at least 1 (3, 5, ...), so that padding (k - 1)/2 keeps the picture's size.", nameof(kernel));
        if (!Enum.IsDefined(readout)) throw new ArgumentOutOfRangeException(nameof(readout), readout, "The readout is Pool or Flatten.");
        Channels = channels;
        Height = height;
        Width = width;
        Kernel = kernel;
        ReadoutKind = readout;
        _blocks = RegisterModule("blocks", new Sequential<T>());
        int c = channels, h = height, w = width;
        foreach (int next in blockChannels)
        {
            var conv = new Conv2d<T>(c, next, (kernel, kernel), random, padding: (kernel / 2, kernel / 2));
            _blocks.Append(conv);
            _blocks.Append(new ReLU<T>());
            MaxPool2d<T>? pool = null;
            if (h >= 4 && w >= 4)
            {
                _blocks.Append(pool = new MaxPool2d<T>((2, 2)));
                h /= 2;
                w /= 2;
            }
            _blockLayers.Add((conv, pool));
            c = next;
        }
        var pooled = readout == CnnReadout.Pool ? (Math.Min(2, h), Math.Min(2, w)) : (h, w);
        if (readout == CnnReadout.Pool) _blocks.Append(_readout = new AdaptiveAvgPool2d<T>(pooled));
        _blocks.Append(new Flatten<T>());
        BlockChannels = [.. blockChannels];
        OutputWidth = c * pooled.Item1 * pooled.Item2;
    }

    /// <summary>k of every k×k convolution.</summary>
    public int Kernel { get; }

    /// <summary>How the last block's maps become the encoding.</summary>
    public CnnReadout ReadoutKind { get; }

    /// <summary>C, H and W of the pictures.</summary>
    public int Channels { get; }

    /// <summary>H.</summary>
    public int Height { get; }

    /// <summary>W.</summary>
    public int Width { get; }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <inheritdoc />
    protected override MtlTensor<T> EncodePresent(BatchInput<T> input, string name)
    {
        var values = input.RequireValues(name);
        CheckPictures(values, name);
        return _blocks.Forward(values);
    }

    private void CheckPictures(MtlTensor<T> values, string name)
    {
        if (values.Rank != 4 || values.Shape[1] != Channels || values.Shape[2] != Height || values.Shape[3] != Width)
            throw new ArgumentException($"Input \"{name}\" has shape {MtlTensor<T>.ShapeText(values.Shape)}; the CNN encoder takes (n, {Channels}, {Height}, {Width}).");
    }

    /// <summary>The output channels of each block.</summary>
    public IReadOnlyList<int> BlockChannels { get; }

    /// <summary>
    /// Each block's feature maps, after its convolution and ReLU and before its pooling (what MTAN's attention modules
    /// read): block b is (n, C_b, H_b, W_b), H_b and W_b those of the previous block after its pooling. The encoding is
    /// <c>Readout(PoolBlock(last, features[last]))</c>.
    /// </summary>
    /// <param name="pictures">(n, C, H, W).</param>
    /// <param name="name">The input's name, for the message when the shape is wrong.</param>
    /// <exception cref="ArgumentException">When the pictures are not (n, C, H, W).</exception>
    public IReadOnlyList<MtlTensor<T>> BlockFeatures(MtlTensor<T> pictures, string name = "input")
    {
        ArgumentNullException.ThrowIfNull(pictures);
        CheckPictures(pictures, name);
        var features = new MtlTensor<T>[_blockLayers.Count];
        var x = pictures;
        for (int b = 0; b < _blockLayers.Count; b++)
        {
            features[b] = _blockLayers[b].Conv.Forward(x).Relu();
            x = PoolBlock(b, features[b]);
        }
        return features;
    }

    /// <summary>Block <paramref name="block"/>'s 2×2 max-pool applied to <paramref name="features"/> (the identity for a block without one).</summary>
    public MtlTensor<T> PoolBlock(int block, MtlTensor<T> features)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(block, _blockLayers.Count);
        var pool = _blockLayers[block].Pool;
        return pool is null ? features : pool.Forward(features);
    }

    /// <summary>The last block's pooled maps (n, C, h, w) → the encoding (n, <see cref="OutputWidth"/>): adaptive average pool (unless
    /// the readout is <see cref="CnnReadout.Flatten"/>), flatten.</summary>
    public MtlTensor<T> Readout(MtlTensor<T> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var pooled = _readout is null ? features : _readout.Forward(features);
        return pooled.Reshape(pooled.Shape[0], OutputWidth);
    }
}

/// <summary>How a <see cref="CnnEncoder{T}"/> turns its last block's maps (n, C, h, w) into the encoding.</summary>
public enum CnnReadout
{
    /// <summary>An adaptive average pool to at most 2×2, then a flatten: C·min(2, h)·min(2, w) values, little of where things are.</summary>
    Pool,

    /// <summary>The whole map flattened: C·h·w values, one per channel and position.</summary>
    Flatten,
}

/// <summary>
/// The mean of the embeddings of a sample's tokens (PyTorch's <c>EmbeddingBag(mode="mean")</c>, <c>bag.weight</c>): the
/// input is (n, L) token ids, −1 marking padding; a sample without tokens gets zeros.
/// </summary>
public sealed class EmbeddingBagEncoder<T> : InputEncoder<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly EmbeddingBag<T> _bag;

    /// <summary>Creates the table with seeded N(0, 1) values.</summary>
    public EmbeddingBagEncoder(int vocabulary, int dimension, TensorRandom random)
    {
        _bag = RegisterModule("bag", new EmbeddingBag<T>(Math.Max(1, vocabulary), dimension, random));
        OutputWidth = dimension;
    }

    /// <inheritdoc />
    public override int OutputWidth { get; }

    /// <inheritdoc />
    protected override MtlTensor<T> EncodePresent(BatchInput<T> input, string name)
    {
        var tokens = input.RequireIndices(name);
        if (tokens.Rank != 2) throw new ArgumentException($"Input \"{name}\" has token ids of shape {MtlTensor<int>.ShapeText(tokens.Shape)}; the embedding-bag encoder takes (n, length).");
        return _bag.Forward(tokens);
    }
}
