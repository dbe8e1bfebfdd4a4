using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// Convolution and pooling over NCHW (and NCL) tensors with PyTorch's semantics (<c>torch.nn.functional.conv2d</c>,
/// <c>max_pool2d</c>, <c>avg_pool2d</c>, <c>adaptive_avg_pool2d</c>, <c>conv1d</c>), differentiable. On the CPU the
/// convolution runs as im2col + GEMM (see the internal Conv2dDriver), the pools as plane loops
/// (<see cref="Pooling"/>); on a GPU device the same products run as device im2col + the tiled GPU GEMM and the pools
/// as device kernels (the internal ConvolutionDevice), so a network that trains on the CPU trains there unchanged.
/// </summary>
public static class ConvolutionFunctional
{
    /// <summary>
    /// 2-d convolution (cross-correlation, as in every deep-learning library):
    /// y[n, o, i, j] = b[o] + Σ_{c, ki, kj} w[o, c, ki, kj]·x[n, g·C/groups + c, i·sh − ph + ki·dh, j·sw − pw + kj·dw]
    /// with g the group of output channel o.
    /// </summary>
    /// <param name="input">x, shape (N, C, H, W).</param>
    /// <param name="weight">w, shape (O, C/groups, kh, kw).</param>
    /// <param name="bias">b, shape (O,), or null.</param>
    /// <param name="stride">(sh, sw); default (1, 1).</param>
    /// <param name="padding">(ph, pw) zeros on each side; default (0, 0).</param>
    /// <param name="dilation">(dh, dw); default (1, 1).</param>
    /// <param name="groups">Channel groups; C and O must be divisible by it.</param>
    /// <returns>y, shape (N, O, Ho, Wo) with Ho = ⌊(H + 2ph − dh·(kh − 1) − 1)/sh⌋ + 1 (Wo likewise).</returns>
    /// <exception cref="ArgumentException">When the shapes do not agree or the kernel does not fit; the message gives them.</exception>
    /// <exception cref="NotSupportedException">When an operand is on a GPU device, or T is not float or double.</exception>
    public static MtlTensor<T> Conv2d<T>(this MtlTensor<T> input, MtlTensor<T> weight, MtlTensor<T>? bias = null,
        (int Height, int Width)? stride = null, (int Height, int Width)? padding = null, (int Height, int Width)? dilation = null, int groups = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        var (sh, sw) = stride ?? (1, 1);
        var (ph, pw) = padding ?? (0, 0);
        var (dh, dw) = dilation ?? (1, 1);
        var settings = new Conv2dSettings(sh, sw, ph, pw, dh, dw, groups);
        CheckConv2d(input, weight, bias, settings);
        var x = Conv2dDriver.Dense(input);
        var w = Conv2dDriver.Dense(weight);
        var b = bias is null ? null : Conv2dDriver.Dense(bias);
        var y = GpuTensorOps.OnDevice(x) ? ConvolutionDevice.Forward(x, w, b, settings) : Conv2dDriver.Forward(x, w, b, settings);
        // The inputs arrays come from the graph's free lists: a steady step allocates none.
        return bias is null ? Graph.Record(y, GradientRules.Conv2d, input, weight, saved: settings) : Graph.Record(y, GradientRules.Conv2d, input, weight, bias, settings);
    }

    /// <summary>
    /// 1-d convolution over (N, C, L) with a weight of shape (O, C/groups, k): the 2-d convolution of the (N, C, 1, L)
    /// view with a 1×k kernel, reshaped back to (N, O, Lo), Lo = ⌊(L + 2p − d·(k − 1) − 1)/s⌋ + 1.
    /// </summary>
    /// <exception cref="ArgumentException">When the input or weight is not 3-d, or the 2-d convolution refuses the shapes.</exception>
    public static MtlTensor<T> Conv1d<T>(this MtlTensor<T> input, MtlTensor<T> weight, MtlTensor<T>? bias = null,
        int stride = 1, int padding = 0, int dilation = 1, int groups = 1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank != 3 || weight.Rank != 3)
            throw new ArgumentException(
                $"Conv1d takes an input of shape (N, C, L) and a weight of shape (O, C/groups, k), but got {MtlTensor<T>.ShapeText(input.Shape)} and {MtlTensor<T>.ShapeText(weight.Shape)}.");
        return input.Unsqueeze(2).Conv2d(weight.Unsqueeze(2), bias, (1, stride), (0, padding), (1, dilation), groups).Squeeze(2);
    }

    /// <summary>
    /// Max pooling over (N, C, H, W) or (C, H, W): y = max of each kh×kw window (stride default: the kernel), padding
    /// counting as −∞. The gradient goes to the first maximal element of each window (PyTorch's argmax, saved).
    /// </summary>
    /// <exception cref="ArgumentException">When the input is not 3-d or 4-d, the padding exceeds half the kernel, or the window does not fit.</exception>
    /// <exception cref="NotSupportedException">When the input is on a GPU device.</exception>
    public static MtlTensor<T> MaxPool2d<T>(this MtlTensor<T> input, (int Height, int Width) kernel, (int Height, int Width)? stride = null,
        (int Height, int Width)? padding = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (planes, geometry) = PoolGeometry("MaxPool2d", input, kernel, stride, padding);
        var x = Conv2dDriver.Dense(input);
        if (GpuTensorOps.OnDevice(x))
        {
            var (pooled, deviceArgmax) = ConvolutionDevice.MaxPool(x, PooledShape(input, geometry.OutHeight, geometry.OutWidth), planes, geometry);
            return Record(pooled, GradientRules.MaxPool2d, [input], new PoolSaved(geometry, planes, null, DeviceArgmax: deviceArgmax));
        }
        var result = TensorOps.Uninitialized<T>(PooledShape(input, geometry.OutHeight, geometry.OutWidth, stackalloc int[input.Rank]));
        var argmax = TensorArena.Rent<int>(planes * geometry.OutputPlane);
        T[] source = x.CpuStorage.Data, output = result.CpuStorage.Data;
        int offset = x.Offset;
        Conv2dDriver.ForEachPlaneShare(planes, geometry.InputPlane, new PoolPlanes<T>(PoolKind.Max, false, source, offset, output, argmax, geometry));
        return Graph.Record(result, GradientRules.MaxPool2d, input, saved: new PoolSaved(geometry, planes, argmax));
    }

    /// <summary>
    /// Average pooling over (N, C, H, W) or (C, H, W): y = (sum of each window's elements) / divisor, the divisor counting
    /// padded positions (<paramref name="countIncludePad"/>, PyTorch's default) or not.
    /// </summary>
    /// <exception cref="ArgumentException">When the input is not 3-d or 4-d, the padding exceeds half the kernel, or the window does not fit.</exception>
    /// <exception cref="NotSupportedException">When the input is on a GPU device.</exception>
    public static MtlTensor<T> AvgPool2d<T>(this MtlTensor<T> input, (int Height, int Width) kernel, (int Height, int Width)? stride = null,
        (int Height, int Width)? padding = null, bool countIncludePad = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (planes, geometry) = PoolGeometry("AvgPool2d", input, kernel, stride, padding);
        var x = Conv2dDriver.Dense(input);
        if (GpuTensorOps.OnDevice(x))
            return Record(ConvolutionDevice.AvgPool(x, PooledShape(input, geometry.OutHeight, geometry.OutWidth), planes, geometry, countIncludePad),
                GradientRules.AvgPool2d, [input], new PoolSaved(geometry, planes, null, countIncludePad));
        var result = TensorOps.Uninitialized<T>(PooledShape(input, geometry.OutHeight, geometry.OutWidth, stackalloc int[input.Rank]));
        T[] source = x.CpuStorage.Data, output = result.CpuStorage.Data;
        int offset = x.Offset;
        Conv2dDriver.ForEachPlaneShare(planes, geometry.InputPlane, new PoolPlanes<T>(PoolKind.Average, false, source, offset, output, null, geometry, countIncludePad));
        return Graph.Record(result, GradientRules.AvgPool2d, input, saved: new PoolSaved(geometry, planes, null, countIncludePad));
    }

    /// <summary>
    /// Adaptive average pooling of (N, C, H, W) or (C, H, W) to (…, Ho, Wo): output row i averages input rows
    /// [⌊i·H/Ho⌋, ⌈(i + 1)·H/Ho⌉), columns likewise (PyTorch's windows).
    /// </summary>
    /// <exception cref="ArgumentException">When the input is not 3-d or 4-d or an output size is not positive.</exception>
    /// <exception cref="NotSupportedException">When the input is on a GPU device.</exception>
    public static MtlTensor<T> AdaptiveAvgPool2d<T>(this MtlTensor<T> input, (int Height, int Width) outputSize) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (3 or 4) || outputSize.Height < 1 || outputSize.Width < 1)
            throw new ArgumentException(
                $"AdaptiveAvgPool2d takes an input of shape (N, C, H, W) or (C, H, W) and a positive output size, but got {MtlTensor<T>.ShapeText(input.Shape)} and ({outputSize.Height}, {outputSize.Width}).");
        int height = input.Shape[^2], width = input.Shape[^1], planes = (int)(input.Length / Math.Max(1, (long)height * width));
        var (oh, ow) = outputSize;
        var x = Conv2dDriver.Dense(input);
        var geometry = new ConvolutionGeometry(1, height, width, 1, 1);
        if (GpuTensorOps.OnDevice(x))
            return Record(ConvolutionDevice.AdaptiveAvgPool(x, PooledShape(input, oh, ow), planes, height, width, oh, ow),
                GradientRules.AdaptiveAvgPool2d, [input], new PoolSaved(geometry, planes, null, OutHeight: oh, OutWidth: ow));
        var result = TensorOps.Uninitialized<T>(PooledShape(input, oh, ow, stackalloc int[input.Rank]));
        T[] source = x.CpuStorage.Data, output = result.CpuStorage.Data;
        int offset = x.Offset;
        Conv2dDriver.ForEachPlaneShare(planes, height * width, new PoolPlanes<T>(PoolKind.Adaptive, false, source, offset, output, null, geometry, outHeight: oh, outWidth: ow));
        return Graph.Record(result, GradientRules.AdaptiveAvgPool2d, input, saved: new PoolSaved(geometry, planes, null, OutHeight: oh, OutWidth: ow));
    }

    /// <summary>Records the node (when grad mode is on and an input requires grad); the forward read detached data only.</summary>
    private static MtlTensor<T> Record<T>(MtlTensor<T> output, GradientRule<T> rule, MtlTensor<T>[] inputs, object saved) where T : unmanaged, INumber<T> =>
        Graph.Record(output, rule, inputs, saved: saved);

    private static void CheckConv2d<T>(MtlTensor<T> x, MtlTensor<T> w, MtlTensor<T>? b, Conv2dSettings s) where T : unmanaged, INumber<T>
    {
        // The shapes are written out only for a message (a steady training step allocates nothing here).
        string Shapes() => $"input {MtlTensor<T>.ShapeText(x.Shape)}, weight {MtlTensor<T>.ShapeText(w.Shape)}, groups {s.Groups}";
        if (x.Rank != 4 || w.Rank != 4)
            throw new ArgumentException($"Conv2d takes an input (N, C, H, W) and a weight (O, C/groups, kh, kw), but got {Shapes()}.");
        if (s.Groups < 1 || x.Shape[1] % s.Groups != 0 || w.Shape[0] % s.Groups != 0 || w.Shape[1] * s.Groups != x.Shape[1])
            throw new ArgumentException(
                $"Conv2d needs C and O divisible by groups and a weight of C/groups input channels, but got {Shapes()}; the weight's second dimension must be {(s.Groups >= 1 ? x.Shape[1] / s.Groups : 0)}.");
        if (b is not null && (b.Rank != 1 || b.Shape[0] != w.Shape[0]))
            throw new ArgumentException($"Conv2d's bias must have shape ({w.Shape[0]},), but got {MtlTensor<T>.ShapeText(b.Shape)}.");
        if (x.Shape[0] < 1)
            throw new ArgumentException($"Conv2d needs at least one sample, but got {Shapes()}.");
        s.Geometry(x.Shape, w.Shape).Validate();
    }

    private static (int Planes, ConvolutionGeometry Geometry) PoolGeometry<T>(string operation, MtlTensor<T> input, (int Height, int Width) kernel,
        (int Height, int Width)? stride, (int Height, int Width)? padding) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank is not (3 or 4))
            throw new ArgumentException($"{operation} takes an input of shape (N, C, H, W) or (C, H, W), but got {MtlTensor<T>.ShapeText(input.Shape)}.");
        var (sh, sw) = stride ?? kernel;
        var (ph, pw) = padding ?? (0, 0);
        if (ph > kernel.Height / 2 || pw > kernel.Width / 2)
            throw new ArgumentException($"{operation}'s padding ({ph}, {pw}) must be at most half the kernel ({kernel.Height}, {kernel.Width}), as in PyTorch.");
        int height = input.Shape[^2], width = input.Shape[^1];
        var geometry = new ConvolutionGeometry(1, height, width, kernel.Height, kernel.Width, sh, sw, ph, pw);
        geometry.Validate();
        return ((int)(input.Length / ((long)height * width)), geometry);
    }

    /// <summary>The input's shape with the last two sizes replaced, written into <paramref name="shape"/> (of the input's rank; no allocation).</summary>
    private static ReadOnlySpan<int> PooledShape<T>(MtlTensor<T> input, int height, int width, Span<int> shape) where T : unmanaged, INumber<T>
    {
        input.Shape.CopyTo(shape);
        shape[^2] = height;
        shape[^1] = width;
        return shape;
    }

    private static int[] PooledShape<T>(MtlTensor<T> input, int height, int width) where T : unmanaged, INumber<T>
    {
        int[] shape = input.Shape.ToArray();
        shape[^2] = height;
        shape[^1] = width;
        return shape;
    }
}
