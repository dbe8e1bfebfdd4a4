using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.ViewTestHelpers;

namespace MtlEngine.Tests.Tensors;

public class IndexingTests
{
    [Fact]
    public void Indexer_reads_and_writes_with_negative_indices()
    {
        var t = Iota(2, 3, 4);
        Assert.Equal(23, t[1, 2, 3]);
        Assert.Equal(23, t[-1, -1, -1]);
        Assert.Equal(4, t[0, -2, 0]);
        t[-2, 1, -3] = 42;
        Assert.Equal(42, t.AsSpan()[0 * 12 + 1 * 4 + 1]);
    }

    [Fact]
    public void Indexer_bounds_errors_name_the_index_and_shape()
    {
        var t = Iota(2, 3);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => t[0, 3]);
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("Index 3", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => t[-3, 0]);
        Assert.Throws<ArgumentException>(() => t[1]);
    }

    [Fact]
    public void Item_needs_exactly_one_element()
    {
        Assert.Equal(7.5, MtlTensor.Scalar(7.5).Item());
        Assert.Equal(5, Iota(2, 3).Slice(0, 1, 2).Slice(1, 2, 3).Item());
        Assert.Equal(7.5, MtlTensor.Scalar(7.5)[Array.Empty<int>()]);
        var ex = Assert.Throws<InvalidOperationException>(() => Iota(2).Item());
        Assert.Contains("(2,)", ex.Message);
    }
}
