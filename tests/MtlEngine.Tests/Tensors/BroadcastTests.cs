using MtlEngine.Tensors;

namespace MtlEngine.Tests.Tensors;

public class BroadcastTests
{
    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 2, 1 }, new[] { 1, 3 }, new[] { 2, 3 })]
    [InlineData(new[] { 4, 1, 5 }, new[] { 3, 1 }, new[] { 4, 3, 5 })]
    [InlineData(new int[0], new[] { 2, 2 }, new[] { 2, 2 })]
    [InlineData(new int[0], new int[0], new int[0])]
    [InlineData(new[] { 0, 3 }, new[] { 1, 3 }, new[] { 0, 3 })]
    [InlineData(new[] { 0 }, new[] { 1 }, new[] { 0 })]
    [InlineData(new[] { 1 }, new[] { 0 }, new[] { 0 })]
    [InlineData(new[] { 2, 0 }, new[] { 0 }, new[] { 2, 0 })]
    [InlineData(new[] { 1, 1, 1 }, new[] { 7 }, new[] { 1, 1, 7 })]
    public void Compatible_shapes_broadcast_like_numpy(int[] a, int[] b, int[] expected)
    {
        Assert.Equal(expected, Broadcast.Shapes(a, b));
        Assert.Equal(expected, Broadcast.Shapes(b, a));
        Assert.True(Broadcast.AreCompatible(a, b));
    }

    [Theory]
    [InlineData(new[] { 2, 3 }, new[] { 2 })]
    [InlineData(new[] { 0 }, new[] { 3 })]
    [InlineData(new[] { 4, 2, 3 }, new[] { 3, 3 })]
    public void Incompatible_shapes_name_both_shapes(int[] a, int[] b)
    {
        var e = Assert.Throws<ArgumentException>(() => Broadcast.Shapes(a, b));
        Assert.Contains(MtlTensor<int>.ShapeText(a), e.Message);
        Assert.Contains(MtlTensor<int>.ShapeText(b), e.Message);
        Assert.False(Broadcast.AreCompatible(a, b));
    }

    [Fact]
    public void Several_shapes_broadcast_together()
    {
        Assert.Equal([5, 3, 4], Broadcast.Shapes([3, 1], [5, 1, 4], [1]));
        Assert.Empty(Broadcast.Shapes());
        Assert.Throws<ArgumentException>(() => Broadcast.Shapes([3, 1], [5, 1, 4], [2]));
    }

    [Fact]
    public void Strides_to_a_target_are_zero_where_stretched()
    {
        Assert.Equal([0, 0, 1], Broadcast.StridesTo([1, 3], [3, 1], [4, 2, 3]));
        Assert.Equal([5, 0], Broadcast.StridesTo([2, 1], [5, 1], [2, 7]));
        Assert.Equal([0, -1], Broadcast.StridesTo([4], [-1], [3, 4]));
        var e = Assert.Throws<ArgumentException>(() => Broadcast.StridesTo([2, 3], [3, 1], [2, 4]));
        Assert.Contains("(2, 3)", e.Message);
        Assert.Contains("(2, 4)", e.Message);
        Assert.Throws<ArgumentException>(() => Broadcast.StridesTo([2, 3], [3, 1], [3]));
    }

    [Fact]
    public void An_operation_on_a_size_zero_broadcast_gives_an_empty_result()
    {
        var a = MtlTensor.Zeros<float>(0, 3);
        var b = MtlTensor.FromArray(new float[] { 1, 2, 3 }, 1, 3);
        var sum = a + b;
        Assert.Equal([0, 3], sum.Shape.ToArray());
        Assert.Equal(0, sum.Length);
        var e = Assert.Throws<ArgumentException>(() => a + MtlTensor.Zeros<float>(2, 3));
        Assert.Contains("(0, 3)", e.Message);
        Assert.Contains("(2, 3)", e.Message);
    }
}
