using MtlEngine.Tensors;

namespace MtlEngine.Tests.Tensors;

public class CreationTests
{
    [Fact]
    public void FromArray_2d_and_3d_copy_row_major()
    {
        var m = new float[,] { { 1, 2, 3 }, { 4, 5, 6 } };
        var t = MtlTensor.FromArray(m);
        Assert.Equal([2, 3], t.Shape.ToArray());
        Assert.Equal([1f, 2, 3, 4, 5, 6], t.ToArray());
        m[0, 0] = 100;
        Assert.Equal(1f, t[0, 0]); // a copy
        Assert.Equal(m[1, 2], t.To2DArray()[1, 2]);

        var c = new double[2, 3, 4];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 3; j++) for (int k = 0; k < 4; k++) c[i, j, k] = 100 * i + 10 * j + k;
        var t3 = MtlTensor.FromArray(c);
        Assert.Equal([2, 3, 4], t3.Shape.ToArray());
        Assert.Equal(123, t3[1, 2, 3]);
        Assert.Equal([0, 0], MtlTensor.FromArray(new double[0, 0]).Shape.ToArray());
    }

    [Fact]
    public void FromSpan_copies_and_checks_the_length()
    {
        double[] data = [1, 2, 3, 4, 5, 6];
        var t = MtlTensor.FromSpan<double>(data, 3, 2);
        data[0] = 9;
        Assert.Equal(1, t[0, 0]);
        var ex = Assert.Throws<ArgumentException>(() => MtlTensor.FromSpan<double>(data, 4, 2));
        Assert.Contains("(4, 2)", ex.Message);
    }

    [Fact]
    public void Full_ones_zeros_and_like()
    {
        Assert.All(MtlTensor.Full([2, 2], 3.5f).ToArray(), x => Assert.Equal(3.5f, x));
        Assert.All(MtlTensor.Ones<double>(3).ToArray(), x => Assert.Equal(1.0, x));
        var like = MtlTensor.Ones<double>(2, 5).Transpose();
        Assert.Equal([5, 2], MtlTensor.ZerosLike(like).Shape.ToArray());
        Assert.All(MtlTensor.OnesLike(like).ToArray(), x => Assert.Equal(1.0, x));
        Assert.Equal(0, MtlTensor.Zeros<float>(0, 3).Length);
        Assert.Throws<ArgumentException>(() => MtlTensor.Zeros<float>(-1));
    }

    [Fact]
    public void Arange_follows_numpy_counts()
    {
        Assert.Equal([0.0, 1, 2, 3, 4], MtlTensor.Arange<double>(5).ToArray());
        Assert.Equal([1.0, 1.5, 2.0, 2.5], MtlTensor.Arange(1.0, 3.0, 0.5).ToArray());
        Assert.Equal([5, 3, 1], MtlTensor.Arange(5, 0, -2).ToArray());
        Assert.Empty(MtlTensor.Arange(3.0, 1.0, 1.0).ToArray());
        // ceil((1 - 0) / 0.3) = 4 elements.
        Assert.Equal(4, MtlTensor.Arange(0.0, 1.0, 0.3).Length);
        Assert.Throws<ArgumentException>(() => MtlTensor.Arange(0.0, 1.0, 0.0));
    }

    [Fact]
    public void Linspace_hits_both_ends()
    {
        var l = MtlTensor.Linspace(0.0, 1.0, 5);
        Assert.Equal([0.0, 0.25, 0.5, 0.75, 1.0], l.ToArray());
        var f = MtlTensor.Linspace(-1f, 2f, 7);
        Assert.Equal(2f, f[-1]);
        Assert.Equal([0.0, 0.25, 0.5, 0.75], MtlTensor.Linspace(0.0, 1.0, 4, endpoint: false).ToArray());
        Assert.Equal([3.0], MtlTensor.Linspace(3.0, 9.0, 1).ToArray());
        Assert.Empty(MtlTensor.Linspace(3.0, 9.0, 0).ToArray());
    }

    [Fact]
    public void Eye_and_Scalar()
    {
        var e = MtlTensor.Eye<double>(3);
        for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) Assert.Equal(i == j ? 1 : 0, e[i, j]);
        var r = MtlTensor.Eye<float>(2, 4);
        Assert.Equal([1f, 0, 0, 0, 0, 1, 0, 0], r.ToArray());
        var s = MtlTensor.Scalar(4.25);
        Assert.Equal(0, s.Rank);
        Assert.Equal(1, s.Length);
        Assert.Equal(4.25, s.Item());
    }
}
