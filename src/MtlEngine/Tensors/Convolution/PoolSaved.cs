using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Tensors;

/// <summary>What a pooling rule needs: the window geometry (per plane), the plane count, MaxPool2d's argmax (host ints, or
/// device ints on a GPU), AvgPool2d's divisor rule, the adaptive output size.</summary>
internal sealed record PoolSaved(ConvolutionGeometry Geometry, int Planes, int[]? Argmax, bool CountIncludePad = true, int OutHeight = 0, int OutWidth = 0,
    GpuStorage<int>? DeviceArgmax = null);
