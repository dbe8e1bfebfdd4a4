using System.Numerics;
using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Tensors;

/// <summary>
/// The planes [first, first + count) of a pooling pass (the forward pass or the gradient of one <see cref="PoolKind"/>),
/// from <paramref name="source"/> (from <paramref name="offset"/> on) into <paramref name="target"/>: a struct, so that the
/// threaded plane loop (<see cref="Conv2dDriver.ForEachPlaneShare{TBody}"/>) allocates no closure.
/// </summary>
internal readonly struct PoolPlanes<T>(PoolKind kind, bool backward, T[] source, int offset, T[] target, int[]? argmax, ConvolutionGeometry geometry,
    bool countIncludePad = true, int outHeight = 0, int outWidth = 0) : Conv2dDriver.IPlaneShare where T : unmanaged, INumber<T>
{
    public void Run(int first, int count)
    {
        ReadOnlySpan<T> from = source.AsSpan(offset);
        switch (kind, backward)
        {
            case (PoolKind.Max, false): Pooling.MaxForward<T>(from, target, argmax, first, count, geometry); break;
            case (PoolKind.Max, true): Pooling.MaxBackward<T>(from, argmax, target, first, count, geometry); break;
            case (PoolKind.Average, false): Pooling.AverageForward<T>(from, target, first, count, geometry, countIncludePad); break;
            case (PoolKind.Average, true): Pooling.AverageBackward<T>(from, target, first, count, geometry, countIncludePad); break;
            case (PoolKind.Adaptive, false): Pooling.AdaptiveAverageForward<T>(from, target, first, count, geometry.Height, geometry.Width, outHeight, outWidth); break;
            default: Pooling.AdaptiveAverageBackward<T>(from, target, first, count, geometry.Height, geometry.Width, outHeight, outWidth); break;
        }
    }
}
