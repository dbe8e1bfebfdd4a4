using System.Numerics;
using MtlEngine.Kernels.Convolution;
using MtlEngine.Tensors;

namespace MtlEngine.Autograd;

internal static partial class GradientRules
{
    /// <summary>
    /// y = conv2d(x, w) + b, i.e. per sample and group Y = W·cols(x) + b: ∂L/∂x = col2im(Wᵀ·G) (the adjoint of im2col),
    /// ∂L/∂W = Σₙ G·cols(x)ᵀ, ∂L/∂b = Σ_{n, i, j} G (Wᵀ and colsᵀ are views the GEMM reads by strides).
    /// </summary>
    public static MtlTensor<T> Conv2d<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var settings = (Conv2dSettings)n.Saved!;
        var dy = Conv2dDriver.Dense(g);
        MtlTensor<T> x = n.Inputs[0], w = n.Inputs[1];
        if (GpuTensorOps.OnDevice(dy)) return Conv2dOnDevice(dy, x, w, settings, i);
        return i switch
        {
            0 => Conv2dDriver.InputGradient(dy, Conv2dDriver.Dense(w), x.Shape, settings),
            1 => Conv2dDriver.WeightGradient(dy, Conv2dDriver.Dense(x), w.Shape, settings),
            _ => Conv2dDriver.BiasGradient(dy),
        };
    }

    /// <summary>y = max of each window: ∂L/∂x[argmax] += g (the saved first maximal element of each window; 0 elsewhere).</summary>
    public static MtlTensor<T> MaxPool2d<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var saved = (PoolSaved)n.Saved!;
        if (saved.DeviceArgmax is not null) return ConvolutionDevice.PoolGradient(Conv2dDriver.Dense(g), n.Inputs[0].Shape.ToArray(), saved, PoolKind.Max);
        return PoolGradient(n, g, saved, PoolKind.Max);
    }

    /// <summary>y = Σ window / divisor: every element of a window gets g / divisor (summed over the windows that hold it).</summary>
    public static MtlTensor<T> AvgPool2d<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var saved = (PoolSaved)n.Saved!;
        if (GpuTensorOps.OnDevice(g)) return ConvolutionDevice.PoolGradient(Conv2dDriver.Dense(g), n.Inputs[0].Shape.ToArray(), saved, PoolKind.Average);
        return PoolGradient(n, g, saved, PoolKind.Average);
    }

    /// <summary>y = mean of each adaptive window: every element of a window gets g / (window size).</summary>
    public static MtlTensor<T> AdaptiveAvgPool2d<T>(GradNode<T> n, MtlTensor<T> g, int i) where T : unmanaged, INumber<T>
    {
        var saved = (PoolSaved)n.Saved!;
        if (GpuTensorOps.OnDevice(g)) return ConvolutionDevice.PoolGradient(Conv2dDriver.Dense(g), n.Inputs[0].Shape.ToArray(), saved, PoolKind.Adaptive);
        return PoolGradient(n, g, saved, PoolKind.Adaptive);
    }

    /// <summary>The same three gradients of a convolution on a GPU device.</summary>
    private static MtlTensor<T> Conv2dOnDevice<T>(MtlTensor<T> dy, MtlTensor<T> x, MtlTensor<T> w, Conv2dSettings settings, int i) where T : unmanaged, INumber<T> => i switch
    {
        0 => ConvolutionDevice.InputGradient(dy, Conv2dDriver.Dense(w), x.Shape, settings),
        1 => ConvolutionDevice.WeightGradient(dy, Conv2dDriver.Dense(x), w.Shape, settings),
        _ => ConvolutionDevice.BiasGradient(dy),
    };

    /// <summary>A new input-shaped gradient filled plane by plane (split over the threads) by the pool's backward kernel.</summary>
    private static MtlTensor<T> PoolGradient<T>(GradNode<T> n, MtlTensor<T> g, PoolSaved saved, PoolKind kind) where T : unmanaged, INumber<T>
    {
        var dy = Conv2dDriver.Dense(g);
        var result = TensorOps.Uninitialized<T>(n.Inputs[0].Shape);
        Conv2dDriver.ForEachPlaneShare(saved.Planes, saved.Geometry.InputPlane, new PoolPlanes<T>(kind, true, dy.CpuStorage.Data, dy.Offset, result.CpuStorage.Data,
            saved.Argmax, saved.Geometry, saved.CountIncludePad, saved.OutHeight, saved.OutWidth));
        return result;
    }
}
