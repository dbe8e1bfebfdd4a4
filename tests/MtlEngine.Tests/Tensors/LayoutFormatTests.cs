using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.ViewTestHelpers;

namespace MtlEngine.Tests.Tensors;

public class LayoutFormatTests
{
    [Fact]
    public void Small_tensors_print_like_numpy()
    {
        Assert.Equal("MtlTensor<double> shape=(2, 3)\n[[0, 1, 2],\n [3, 4, 5]]", Iota(2, 3).ToString());
        Assert.Equal("MtlTensor<double> shape=(2, 1, 2)\n[[[0, 1]],\n\n [[2, 3]]]", Iota(2, 1, 2).ToString());
        Assert.Equal("MtlTensor<float> shape=()\n2.5", MtlTensor.Scalar(2.5f).ToString());
        Assert.Equal("MtlTensor<float> shape=(0,)\n[]", MtlTensor.Zeros<float>(0).ToString());
        Assert.Equal("MtlTensor<double> shape=(2, 2)\n[[0, 2],\n [1, 3]]", Iota(2, 2).Transpose().ToString());
    }

    [Fact]
    public void Large_tensors_are_summarized()
    {
        string text = Iota(2000).ToString();
        Assert.Equal("MtlTensor<double> shape=(2000,)\n[0, 1, 2, ..., 1997, 1998, 1999]", text);
        string m = Iota(100, 100).ToString();
        Assert.Contains("...", m);
        Assert.True(m.Length < 400);
    }
}
