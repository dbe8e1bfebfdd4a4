using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.ViewTestHelpers;

namespace MtlEngine.Tests.Tensors;

public class JoinTests
{
    [Fact]
    public void Concatenate_matches_the_reference_on_every_axis()
    {
        var a = Iota(2, 3, 4);
        var b = Iota(2, 3, 4).Flip(2);
        for (int axis = 0; axis < 3; axis++)
        {
            var shapeB = a.Shape.ToArray();
            shapeB[axis] = 1 + axis;
            var other = b.Slice(axis, 0, shapeB[axis]);
            var c = MtlTensor.Concatenate([a, other], axis);
            Assert.Equal(a.Dim(axis) + other.Dim(axis), c.Dim(axis));
            foreach (int[] i in Indices(c.Shape))
            {
                int[] j = (int[])i.Clone();
                double expected;
                if (i[axis] < a.Dim(axis)) expected = a[i];
                else { j[axis] -= a.Dim(axis); expected = other[j]; }
                Assert.Equal(expected, c[i]);
            }
        }
        Assert.Equal(a.ToArray(), MtlTensor.Concatenate([a.Slice(1, 0, 1), a.Slice(1, 1, 1), a.Slice(1, 1, 3)], -2).ToArray());
    }

    [Fact]
    public void Concatenate_errors_name_the_mismatched_shapes()
    {
        var ex = Assert.Throws<ArgumentException>(() => MtlTensor.Concatenate([Iota(2, 3), Iota(2, 4)], 0));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(2, 4)", ex.Message);
        Assert.Contains("tensor 1", ex.Message);
        Assert.Throws<ArgumentException>(() => MtlTensor.Concatenate([Iota(2, 3), Iota(6)], 0));
        Assert.Throws<ArgumentException>(() => MtlTensor.Concatenate(Array.Empty<MtlTensor<double>>(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => MtlTensor.Concatenate([Iota(2, 3)], 2));
    }

    [Fact]
    public void Stack_adds_an_axis()
    {
        var a = Iota(2, 3);
        var b = Iota(2, 3).Transpose().Contiguous().Reshape(2, 3);
        var s0 = MtlTensor.Stack([a, b], 0);
        Assert.Equal([2, 2, 3], s0.Shape.ToArray());
        AssertMapsTo(s0.Select(0, 1), b, i => i);
        var s2 = MtlTensor.Stack([a, b, a], -1);
        Assert.Equal([2, 3, 3], s2.Shape.ToArray());
        foreach (int[] i in Indices(s2.Shape))
            Assert.Equal((i[2] == 1 ? b : a)[i[0], i[1]], s2[i]);
        Assert.Equal([2], MtlTensor.Stack([MtlTensor.Scalar(1.0), MtlTensor.Scalar(2.0)]).Shape.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => MtlTensor.Stack([a, Iota(3, 2)]));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(3, 2)", ex.Message);
    }

    [Fact]
    public void Split_and_chunk_are_views_covering_the_axis()
    {
        var t = Iota(7, 2);
        var parts = t.Split(3);
        Assert.Equal([3, 3, 1], parts.Select(p => p.Dim(0)).ToArray());
        Assert.All(parts, p => Assert.Same(t.Storage, p.Storage));
        Assert.Equal(t.ToArray(), MtlTensor.Concatenate(parts, 0).ToArray());
        parts[2][0, 1] = -1;
        Assert.Equal(-1, t[6, 1]);

        var sized = t.Split([2, 0, 5], 0);
        Assert.Equal([2, 0, 5], sized.Select(p => p.Dim(0)).ToArray());
        Assert.Throws<ArgumentException>(() => t.Split([2, 2], 0));

        Assert.Equal([4, 3], t.Chunk(2).Select(p => p.Dim(0)).ToArray());
        Assert.Equal([1, 1], t.Chunk(5, axis: 1).Select(p => p.Dim(1)).ToArray());
        Assert.Single(Iota(0, 2).Chunk(3));
    }
}
