using MtlEngine.Tensors;

namespace MtlEngine.Tests.Tensors;

public class StorageTests
{
    [Fact]
    public void A_view_outside_its_storage_is_rejected()
    {
        var storage = new CpuStorage<float>(6);
        Assert.Throws<ArgumentException>(() => new MtlTensor<float>(storage, 1, [2, 3], [3, 1]));
    }

    [Fact]
    public void FromArray_shares_the_array()
    {
        var data = new double[] { 1, 2, 3, 4, 5, 6 };
        var t = MtlTensor.FromArray(data, 2, 3);
        data[4] = 42;
        Assert.Equal(42, t.AsSpan()[4]);
        Assert.True(t.IsContiguous);
    }

    [Fact]
    public void An_empty_tensor_is_contiguous_whatever_its_strides()
    {
        var t = MtlTensor.Zeros<float>(3, 0, 4);
        Assert.True(t.IsContiguous);
        Assert.Equal(0, t.AsSpan().Length);
        var strided = new MtlTensor<float>(new CpuStorage<float>(1), 0, [3, 0, 4], [7, 5, 2]);
        Assert.True(strided.IsContiguous);
    }
}
