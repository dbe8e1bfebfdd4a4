using System.Numerics.Tensors;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.ViewTestHelpers;

namespace MtlEngine.Tests.Tensors;

public class InteropTests
{
    [Fact]
    public void Round_trip_through_Tensor_of_T()
    {
        var t = Iota(2, 3, 4).Permute(2, 0, 1);
        Tensor<double> snt = t.ToTensor();
        Assert.Equal([4, 2, 3], snt.Lengths.ToArray().Select(x => (int)x).ToArray());
        var back = MtlTensor.FromTensor(snt);
        Assert.Equal(t.Shape.ToArray(), back.Shape.ToArray());
        Assert.Equal(t.ToArray(), back.ToArray());
        foreach (int[] i in Indices(t.Shape))
            Assert.Equal(t[i], snt[i.Select(x => (nint)x).ToArray()]);
    }

    [Fact]
    public void FromTensorSpan_respects_strides_including_zero()
    {
        double[] data = Enumerable.Range(0, 12).Select(i => (double)i).ToArray();
        // Rows 0 and 2 of a 3×4 matrix: lengths (2, 4), strides (8, 1), starting at 0.
        var rows = new ReadOnlyTensorSpan<double>(data, 0, [2, 4], [8, 1]);
        Assert.Equal([0.0, 1, 2, 3, 8, 9, 10, 11], MtlTensor.FromTensorSpan(rows).ToArray());
        // A broadcast: row 1 repeated three times (stride 0 on axis 0), starting at element 4.
        var broadcast = new ReadOnlyTensorSpan<double>(data, 4, [3, 4], [0, 1]);
        var b = MtlTensor.FromTensorSpan(broadcast);
        Assert.Equal([3, 4], b.Shape.ToArray());
        foreach (int[] i in Indices(b.Shape)) Assert.Equal(4 + i[1], b[i]);
        // Column-major strides.
        var columns = new ReadOnlyTensorSpan<double>(data, 0, [4, 3], [1, 4]);
        var c = MtlTensor.FromTensorSpan(columns);
        foreach (int[] i in Indices(c.Shape)) Assert.Equal(i[0] + 4 * i[1], c[i]);
        // Empty and 0-d.
        Assert.Equal([0, 3], MtlTensor.FromTensor(Tensor.Create(Array.Empty<double>(), [0, 3])).Shape.ToArray());
        Assert.Equal([1], MtlTensor.FromTensor(MtlTensor.Scalar(2.0).ToTensor()).Shape.ToArray()); // S.N.T has no 0-d tensors
        Assert.Equal(2.0, MtlTensor.FromTensor(MtlTensor.Scalar(2.0).ToTensor()).Item());
        Assert.Equal(0, (int)MtlTensor.Zeros<double>(3, 0).AsTensorSpan().FlattenedLength);
    }

    [Fact]
    public void AsTensorSpan_shares_memory_with_the_view()
    {
        var t = Iota(3, 4);
        var view = t.Slice(1, 1, 4, 2).Transpose(); // shape (2, 3), strides (2, 4)
        TensorSpan<double> span = view.AsTensorSpan();
        Assert.Equal([2, 3], span.Lengths.ToArray().Select(x => (int)x).ToArray());
        foreach (int[] i in Indices(view.Shape))
            Assert.Equal(view[i], span[i.Select(x => (nint)x).ToArray()]);
        span[[1, 2]] = -7;
        Assert.Equal(-7, t[2, 3]);
        Assert.Equal(view.ToArray(), MtlTensor.FromTensorSpan<double>(span).ToArray());
        Assert.Throws<InvalidOperationException>(() => t.Flip(0).AsTensorSpan());
        var b = Iota(1, 4).BroadcastTo(3, 4).AsTensorSpan();
        Assert.Equal(0, (int)b.Strides[0]);
    }
}
