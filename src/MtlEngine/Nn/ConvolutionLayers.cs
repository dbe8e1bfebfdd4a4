using System.Numerics;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>
/// PyTorch's <c>nn.Conv2d</c>: y = conv2d(x, W) + b over (N, C, H, W) input, W of shape (out, in/groups, kh, kw)
/// ("weight"), b of shape (out,) ("bias"). Initialized as PyTorch does: kaiming_uniform(a = √5), which is
/// U(±1/√fan_in), for W and U(±1/√fan_in) for b, fan_in = in/groups·kh·kw.
/// </summary>
public sealed class Conv2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer with seeded initial weights.</summary>
    /// <param name="inChannels">C, the input channels.</param>
    /// <param name="outChannels">O, the output channels.</param>
    /// <param name="kernel">(kh, kw).</param>
    /// <param name="random">The generator the initial values are drawn from.</param>
    /// <param name="stride">(sh, sw); default (1, 1).</param>
    /// <param name="padding">(ph, pw); default (0, 0).</param>
    /// <param name="dilation">(dh, dw); default (1, 1).</param>
    /// <param name="groups">Channel groups; C and O must be divisible by it.</param>
    /// <param name="bias">Whether to add a bias.</param>
    /// <exception cref="ArgumentException">When a size is not positive or the channels are not divisible by the groups.</exception>
    public Conv2d(int inChannels, int outChannels, (int Height, int Width) kernel, TensorRandom random, (int Height, int Width)? stride = null,
        (int Height, int Width)? padding = null, (int Height, int Width)? dilation = null, int groups = 1, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (inChannels < 1 || outChannels < 1 || kernel.Height < 1 || kernel.Width < 1 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException(
                $"Conv2d needs positive channels and kernel, with both channel counts divisible by groups, but got {inChannels} → {outChannels}, kernel ({kernel.Height}, {kernel.Width}), groups {groups}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride ?? (1, 1);
        Padding = padding ?? (0, 0);
        Dilation = dilation ?? (1, 1);
        Groups = groups;
        int fanIn = inChannels / groups * kernel.Height * kernel.Width;
        T bound = T.One / T.Sqrt(T.CreateChecked(fanIn));
        Weight = RegisterParameter("weight", Init.Uniform(random, [outChannels, inChannels / groups, kernel.Height, kernel.Width], bound));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform(random, [outChannels], bound));
    }

    /// <summary>C, the input channels.</summary>
    public int InChannels { get; }

    /// <summary>O, the output channels.</summary>
    public int OutChannels { get; }

    /// <summary>(kh, kw).</summary>
    public (int Height, int Width) Kernel { get; }

    /// <summary>(sh, sw).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>(ph, pw).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>(dh, dw).</summary>
    public (int Height, int Width) Dilation { get; }

    /// <summary>The number of channel groups.</summary>
    public int Groups { get; }

    /// <summary>W, shape (out, in/groups, kh, kw).</summary>
    public MtlTensor<T> Weight { get; }

    /// <summary>b, shape (out,), or null.</summary>
    public MtlTensor<T>? Bias { get; }

    /// <summary>(N, C, H, W) → (N, O, Ho, Wo).</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.Conv2d(Weight, Bias, Stride, Padding, Dilation, Groups);
}

/// <summary>
/// PyTorch's <c>nn.Conv1d</c>: over (N, C, L), W of shape (out, in/groups, k) ("weight"), b ("bias"); initialized
/// U(±1/√fan_in) with fan_in = in/groups·k, as PyTorch does.
/// </summary>
public sealed class Conv1d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer with seeded initial weights.</summary>
    /// <exception cref="ArgumentException">When a size is not positive or the channels are not divisible by the groups.</exception>
    public Conv1d(int inChannels, int outChannels, int kernel, TensorRandom random, int stride = 1, int padding = 0, int dilation = 1, int groups = 1, bool bias = true)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (inChannels < 1 || outChannels < 1 || kernel < 1 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException(
                $"Conv1d needs positive channels and kernel, with both channel counts divisible by groups, but got {inChannels} → {outChannels}, kernel {kernel}, groups {groups}.");
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        T bound = T.One / T.Sqrt(T.CreateChecked(inChannels / groups * kernel));
        Weight = RegisterParameter("weight", Init.Uniform(random, [outChannels, inChannels / groups, kernel], bound));
        if (bias) Bias = RegisterParameter("bias", Init.Uniform(random, [outChannels], bound));
    }

    /// <summary>C, the input channels.</summary>
    public int InChannels { get; }

    /// <summary>O, the output channels.</summary>
    public int OutChannels { get; }

    /// <summary>k.</summary>
    public int Kernel { get; }

    /// <summary>s.</summary>
    public int Stride { get; }

    /// <summary>p.</summary>
    public int Padding { get; }

    /// <summary>d.</summary>
    public int Dilation { get; }

    /// <summary>The number of channel groups.</summary>
    public int Groups { get; }

    /// <summary>W, shape (out, in/groups, k).</summary>
    public MtlTensor<T> Weight { get; }

    /// <summary>b, shape (out,), or null.</summary>
    public MtlTensor<T>? Bias { get; }

    /// <summary>(N, C, L) → (N, O, Lo).</summary>
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.Conv1d(Weight, Bias, Stride, Padding, Dilation, Groups);
}

/// <summary>PyTorch's <c>nn.MaxPool2d</c> (floor mode): the max of each window; stride defaults to the kernel.</summary>
public sealed class MaxPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public MaxPool2d((int Height, int Width) kernel, (int Height, int Width)? stride = null, (int Height, int Width)? padding = null)
    {
        Kernel = kernel;
        Stride = stride ?? kernel;
        Padding = padding ?? (0, 0);
    }

    /// <summary>A square k×k window with stride k (PyTorch's <c>MaxPool2d(k)</c>).</summary>
    public MaxPool2d(int kernel) : this((kernel, kernel)) { }

    /// <summary>(kh, kw).</summary>
    public (int Height, int Width) Kernel { get; }

    /// <summary>(sh, sw).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>(ph, pw).</summary>
    public (int Height, int Width) Padding { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.MaxPool2d(Kernel, Stride, Padding);
}

/// <summary>PyTorch's <c>nn.AvgPool2d</c> (floor mode, count_include_pad = true by default).</summary>
public sealed class AvgPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public AvgPool2d((int Height, int Width) kernel, (int Height, int Width)? stride = null, (int Height, int Width)? padding = null, bool countIncludePad = true)
    {
        Kernel = kernel;
        Stride = stride ?? kernel;
        Padding = padding ?? (0, 0);
        CountIncludePad = countIncludePad;
    }

    /// <summary>A square k×k window with stride k (PyTorch's <c>AvgPool2d(k)</c>).</summary>
    public AvgPool2d(int kernel) : this((kernel, kernel)) { }

    /// <summary>(kh, kw).</summary>
    public (int Height, int Width) Kernel { get; }

    /// <summary>(sh, sw).</summary>
    public (int Height, int Width) Stride { get; }

    /// <summary>(ph, pw).</summary>
    public (int Height, int Width) Padding { get; }

    /// <summary>Whether padded positions count in the divisor.</summary>
    public bool CountIncludePad { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.AvgPool2d(Kernel, Stride, Padding, CountIncludePad);
}

/// <summary>PyTorch's <c>nn.AdaptiveAvgPool2d</c>: averages into a fixed (Ho, Wo) output whatever the input size.</summary>
public sealed class AdaptiveAvgPool2d<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public AdaptiveAvgPool2d((int Height, int Width) outputSize) => OutputSize = outputSize;

    /// <summary>(Ho, Wo).</summary>
    public (int Height, int Width) OutputSize { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.AdaptiveAvgPool2d(OutputSize);
}

/// <summary>PyTorch's <c>nn.Flatten</c>: merges the axes start .. end (default 1 .. −1) into one.</summary>
public sealed class Flatten<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public Flatten(int startDim = 1, int endDim = -1)
    {
        StartDim = startDim;
        EndDim = endDim;
    }

    /// <summary>The first merged axis (negative counts from the end).</summary>
    public int StartDim { get; }

    /// <summary>The last merged axis (negative counts from the end).</summary>
    public int EndDim { get; }

    /// <exception cref="ArgumentException">When the axes are outside the input's rank or start comes after end.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int rank = input.Rank, start = StartDim < 0 ? StartDim + rank : StartDim, end = EndDim < 0 ? EndDim + rank : EndDim;
        if (rank == 0) return input.Reshape(1);
        if (start < 0 || end >= rank || start > end)
            throw new ArgumentException($"Flatten({StartDim}, {EndDim}) does not fit an input of shape {MtlTensor<T>.ShapeText(input.Shape)}.");
        var shape = new int[rank - (end - start)]; // Reshape's argument itself: no list to copy from
        int merged = 1, next = 0;
        for (int d = 0; d < rank; d++)
        {
            if (d < start || d > end) shape[next++] = input.Shape[d];
            else
            {
                merged *= input.Shape[d];
                if (d == end) shape[next++] = merged;
            }
        }
        return input.Reshape(shape);
    }
}

/// <summary>PyTorch's <c>nn.Unflatten</c>: splits axis <see cref="Dim"/> into <see cref="Sizes"/> (one may be −1).</summary>
public sealed class Unflatten<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    public Unflatten(int dim, params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        Dim = dim;
        Sizes = sizes;
    }

    /// <summary>The axis split (negative counts from the end).</summary>
    public int Dim { get; }

    /// <summary>The sizes it is split into.</summary>
    public IReadOnlyList<int> Sizes { get; }

    /// <exception cref="ArgumentException">When the axis is outside the input's rank or the sizes do not multiply to its length.</exception>
    public override MtlTensor<T> Forward(MtlTensor<T> input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int dim = Dim < 0 ? Dim + input.Rank : Dim;
        if (dim < 0 || dim >= input.Rank)
            throw new ArgumentException($"Unflatten({Dim}) does not fit an input of shape {MtlTensor<T>.ShapeText(input.Shape)}.");
        var shape = new List<int>();
        for (int d = 0; d < input.Rank; d++)
        {
            if (d == dim) shape.AddRange(Sizes);
            else shape.Add(input.Shape[d]);
        }
        return input.Reshape([.. shape]);
    }
}
