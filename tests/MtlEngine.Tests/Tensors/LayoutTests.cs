using MtlEngine.Kernels;
using MtlEngine.Kernels.Layout;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.ViewTestHelpers;

namespace MtlEngine.Tests.Tensors;

public class LayoutTests
{
    /// <summary>A random strided view of a random buffer: random shape (rank 0..4, sizes 0..5), random
    /// permutation, random steps (negative included) and occasional broadcast (stride-0) axes.</summary>
    private static MtlTensor<float> RandomView(System.Random rng, bool allowBroadcast)
    {
        int rank = rng.Next(0, 5);
        var shape = new int[rank];
        for (int d = 0; d < rank; d++) shape[d] = rng.Next(0, 6);
        var baseShape = shape.Select(n => n * 2 + 1).ToArray();
        int total = MtlTensor<float>.CheckedLength(baseShape);
        var data = new float[total];
        for (int i = 0; i < total; i++) data[i] = i + 0.5f;
        var t = MtlTensor.FromArray(data, baseShape);
        var ranges = new SliceRange[rank];
        for (int d = 0; d < rank; d++)
        {
            int step = rng.Next(1, 3) * (rng.Next(2) == 0 ? 1 : -1);
            ranges[d] = step > 0 ? new SliceRange(0, null, step) : new SliceRange(null, null, step);
        }
        var v = t.Slice(ranges);
        for (int d = 0; d < rank; d++) v = v.Slice(d, 0, shape[d]);
        if (allowBroadcast && rank > 0 && rng.Next(3) == 0)
        {
            int d = rng.Next(rank);
            var size1 = v.Slice(d, 0, Math.Min(1, shape[d]));
            if (size1.Dim(d) == 1) { var target = v.Shape.ToArray(); v = size1.BroadcastTo(target); }
        }
        if (rank > 1)
        {
            int[] axes = Enumerable.Range(0, rank).OrderBy(_ => rng.Next()).ToArray();
            v = v.Permute(axes);
        }
        return v;
    }

    [Fact]
    public void StridedCopy_matches_its_reference_twin_on_random_views()
    {
        var rng = new System.Random(12345);
        for (int trial = 0; trial < 400; trial++)
        {
            var source = RandomView(rng, allowBroadcast: true);
            // Destination: a reversed/strided view of a fresh buffer with the same shape.
            int[] shape = source.Shape.ToArray();
            var big = MtlTensor.Zeros<float>(shape.Select(n => 2 * n + 1).ToArray());
            var destination = big.Slice(shape.Select(n => new SliceRange(null, null, rng.Next(2) == 0 ? 2 : -2)).ToArray());
            for (int d = 0; d < shape.Length; d++) destination = destination.Slice(d, 0, shape[d]);
            var twin = MtlTensor.Zeros<float>(big.Shape.ToArray());

            StridedCopy.Copy<float>(source.CpuStorage.Span, source.Offset, source.Strides, big.CpuStorage.Span,
                destination.Offset, destination.Strides, shape, Parallelism.Sequential);
            StridedCopy.CopyReference<float>(source.CpuStorage.Span, source.Offset, source.Strides, twin.CpuStorage.Span,
                destination.Offset, destination.Strides, shape);
            Assert.Equal(twin.ToArray(), big.ToArray());
            Assert.Equal(source.ToArray(), destination.ToArray());
            foreach (int[] i in Indices(shape)) Assert.Equal(source[i], destination[i]);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(-1, 1)]
    [InlineData(0, 1)]
    [InlineData(1, -2)]
    [InlineData(0, 3)]
    public void StridedCopy_matches_its_twin_at_every_length_0_to_257(int sourceStep, int destinationStep)
    {
        var source = Enumerable.Range(0, 2 * 258 + 1).Select(i => (float)i).ToArray();
        for (int n = 0; n <= 257; n++)
        {
            int sourceOffset = sourceStep < 0 ? (n - 1) * -sourceStep : 0;
            int destinationOffset = destinationStep < 0 ? (n - 1) * -destinationStep : 0;
            sourceOffset = Math.Max(sourceOffset, 0);
            destinationOffset = Math.Max(destinationOffset, 0);
            var fast = new float[3 * 258];
            var twin = new float[3 * 258];
            StridedCopy.Copy<float>(source, sourceOffset, [sourceStep], fast, destinationOffset, [destinationStep], [n], Parallelism.Sequential);
            StridedCopy.CopyReference<float>(source, sourceOffset, [sourceStep], twin, destinationOffset, [destinationStep], [n]);
            Assert.Equal(twin, fast);
            // The same run split as a 2-d copy (n = rows × 1 or 1 × n) must agree too.
            var fast2 = new float[3 * 258];
            StridedCopy.Copy<float>(source, sourceOffset, [sourceStep, 0], fast2, destinationOffset, [destinationStep, 7], [n, 1], Parallelism.Sequential);
            Assert.Equal(twin, fast2);
        }
    }

    [Fact]
    public void StridedCopy_rejects_views_outside_their_buffers()
    {
        var buffer = new float[10];
        var ex = Assert.Throws<ArgumentException>(() =>
            StridedCopy.Copy<float>(buffer, 0, [4], new float[10], 0, [1], [4], Parallelism.Sequential));
        Assert.Contains("source", ex.Message);
        Assert.Throws<ArgumentException>(() =>
            StridedCopy.Copy<float>(buffer, 0, [1], new float[10], 0, [1, 1], [4], Parallelism.Sequential));
        // Empty copies touch nothing, even with an offset past the end.
        StridedCopy.Copy<float>(buffer, 50, [1], new float[1], 50, [1], [0], Parallelism.Sequential);
    }

    [Fact]
    public void Large_broadcast_copies_agree_on_1_and_4_threads()
    {
        var row = MtlTensor.FromArray(Enumerable.Range(0, 1000).Select(i => (float)i).ToArray(), 1, 1000);
        var b = row.BroadcastTo(300, 1000).Transpose(); // shape (1000, 300), strides (1, 0)
        var one = b.Clone(Parallelism.Sequential);
        var four = b.Clone(new Parallelism(4));
        Assert.Equal(one.ToArray(), four.ToArray());
        Assert.Equal(999f, four[999, 123]);
    }

    [Theory]
    [InlineData(33, 65)]
    [InlineData(64, 64)]
    [InlineData(97, 40)]
    [InlineData(5, 100)]
    [InlineData(600, 3)]  // the first view copies 3 rows of 600 strided elements: tiles of 32 columns
    public void Tiled_transpose_copies_match_the_twin_at_tile_edges(int rows, int cols)
    {
        var t = MtlTensor.FromArray(Enumerable.Range(0, 3 * rows * cols).Select(i => (float)i).ToArray(), 3, rows, cols);
        var views = new[]
        {
            t.Transpose(1, 2),
            t.Transpose(1, 2).Flip(2),
            t.Permute(2, 0, 1).Flip(0),
            t.Slice(2, SliceRange.Reverse).Transpose(),
        };
        foreach (var v in views)
        {
            var fast = v.Clone(Parallelism.Sequential);
            var twin = new float[v.Length];
            StridedCopy.CopyReference<float>(t.CpuStorage.Span, v.Offset, v.Strides, twin, 0,
                MtlTensor<float>.ContiguousStrides(v.Shape), v.Shape);
            Assert.Equal(twin, fast.ToArray());
        }
    }

    [Fact]
    public void Large_copies_give_the_same_result_on_1_and_4_threads()
    {
        var t = MtlTensor.FromArray(Enumerable.Range(0, 700 * 801).Select(i => (double)i).ToArray(), 700, 801);
        var view = t.Slice(0, SliceRange.Reverse).Transpose().Slice(0, 1, 801);
        Assert.True(view.Length >= StridedCopy.ParallelThreshold);
        var one = view.Clone(Parallelism.Sequential);
        var four = view.Clone(new Parallelism(4));
        Assert.Equal(one.ToArray(), four.ToArray());
        var reference = new double[view.Length];
        StridedCopy.CopyReference<double>(t.CpuStorage.Span, view.Offset, view.Strides, reference, 0,
            MtlTensor<double>.ContiguousStrides(view.Shape), view.Shape);
        Assert.Equal(reference, four.ToArray());
    }

    [Fact]
    public void Contiguous_returns_the_same_tensor_when_already_contiguous()
    {
        var t = Iota(3, 4);
        Assert.Same(t, t.Contiguous());
        var c = t.Transpose().Contiguous();
        Assert.True(c.IsContiguous);
        Assert.NotSame(t.Storage, c.Storage);
        AssertMapsTo(c, t, i => [i[1], i[0]]);
        var clone = t.Clone();
        Assert.NotSame(t.Storage, clone.Storage);
        clone[0, 0] = 100;
        Assert.Equal(0, t[0, 0]);
    }

    [Fact]
    public void CopyTo_writes_into_a_strided_destination_and_checks_shapes()
    {
        var target = MtlTensor.Zeros<double>(4, 6);
        var src = Iota(2, 3);
        src.CopyTo(target.Slice(new SliceRange(3, null, -2), new SliceRange(1, null, 2)));
        AssertMapsTo(src, target, i => [3 - 2 * i[0], 1 + 2 * i[1]]);
        Assert.Equal(6, target.ToArray().Count(x => x != 0) + 1); // src[0,0] is 0
        var ex = Assert.Throws<ArgumentException>(() => src.CopyTo(MtlTensor.Zeros<double>(3, 2)));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Contains("(3, 2)", ex.Message);
        Assert.Throws<ArgumentException>(() => src.CopyTo(Iota(1, 3).BroadcastTo(2, 3)));
    }

    [Fact]
    public void Overlapping_copies_behave_as_if_the_source_were_read_first()
    {
        // NumPy: a[1:] = a[:-1] shifts by one.
        var a = Iota(6);
        a.Slice(0, 0, 5).CopyTo(a.Slice(0, 1, 6));
        Assert.Equal([0.0, 0, 1, 2, 3, 4], a.ToArray());
        // Transposing a square matrix in place through views.
        var m = Iota(3, 3);
        m.Transpose().CopyTo(m);
        Assert.Equal([0.0, 3, 6, 1, 4, 7, 2, 5, 8], m.ToArray());
        // Reversing in place.
        var r = Iota(5);
        r.Flip(0).CopyTo(r);
        Assert.Equal([4.0, 3, 2, 1, 0], r.ToArray());
    }

    [Fact]
    public void ToArray_and_To2DArray_are_row_major_copies()
    {
        var t = Iota(3, 2).Transpose();
        Assert.Equal([0.0, 2, 4, 1, 3, 5], t.ToArray());
        double[,] m = t.To2DArray();
        Assert.Equal(2, m.GetLength(0));
        Assert.Equal(3, m.GetLength(1));
        foreach (int[] i in Indices(t.Shape)) Assert.Equal(t[i], m[i[0], i[1]]);
        Assert.Throws<InvalidOperationException>(() => Iota(2, 2, 2).To2DArray());
        Assert.Equal(new double[0, 3], MtlTensor.Zeros<double>(0, 3).To2DArray());
    }

    [Fact]
    public void Fill_sets_only_the_viewed_elements()
    {
        var t = Iota(4, 4);
        t.Slice(new SliceRange(null, null, 2), new SliceRange(null, null, -3)).Fill(-1);
        foreach (int[] i in Indices(t.Shape))
        {
            bool inView = i[0] % 2 == 0 && (i[1] == 3 || i[1] == 0);
            Assert.Equal(inView ? -1 : i[0] * 4 + i[1], t[i]);
        }
        var s = MtlTensor.Scalar(1f);
        s.Fill(3);
        Assert.Equal(3f, s.Item());
    }
}
