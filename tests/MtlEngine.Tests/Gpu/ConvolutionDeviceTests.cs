using MtlEngine.Nn;
using MtlEngine.Tensors;
using Device = MtlEngine.Tensors.Device;

namespace MtlEngine.Tests.Gpu;

/// <summary>Convolution and pooling have no GPU kernels yet: a tensor on a device is refused with a message that says so.</summary>
[Collection(SharedIlgpuCpuCollection.Name)]
public class ConvolutionDeviceTests
{
    [Fact]
    public void DeviceTensorsAreRefusedWithNotSupported()
    {
        var device = Device.Parse("ilgpu-cpu");
        var x = MtlTensor.Ones<float>(1, 2, 5, 5).To(device);
        var w = MtlTensor.Ones<float>(3, 2, 3, 3).To(device);
        var e = Assert.Throws<NotSupportedException>(() => x.Conv2d(w));
        Assert.Contains("CPU only", e.Message);
        Assert.Throws<NotSupportedException>(() => x.MaxPool2d((2, 2)));
        Assert.Throws<NotSupportedException>(() => x.AvgPool2d((2, 2)));
        Assert.Throws<NotSupportedException>(() => x.AdaptiveAvgPool2d((1, 1)));
        Assert.Throws<NotSupportedException>(() => MtlTensor.Ones<float>(1, 2, 5, 5).Conv2d(w)); // a CPU input with a device weight
        x.ReleaseDeviceMemory();
        w.ReleaseDeviceMemory();
    }
}
