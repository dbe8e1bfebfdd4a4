using MtlEngine.Tensors;
using static MtlEngine.Tests.Tensors.ViewTestHelpers;

namespace MtlEngine.Tests.Tensors;

public class ViewTests
{
    private static int? Parse(string s) => s == "_" ? null : int.Parse(s);

    [Fact]
    public void Slice_matches_Pythons_slice_semantics_on_every_fixture_case()
    {
        int cases = 0;
        foreach (string raw in ViewSliceFixture.Table.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0) continue;
            string[] halves = line.Split(':');
            string[] p = halves[0].Trim().Split(' ');
            int n = int.Parse(p[0]);
            int? start = Parse(p[1]), stop = Parse(p[2]), step = Parse(p[3]);
            int[] expected = halves[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

            var t = Iota(n);
            var view = t.Slice(0, new SliceRange(start, stop, step ?? 1));
            Assert.Equal(expected.Length, view.Dim(0));
            Assert.Equal(expected.Select(i => (double)i).ToArray(), view.ToArray());
            if (start is int a && stop is int b)
                Assert.Equal(expected.Select(i => (double)i).ToArray(), t.Slice(0, a, b, step ?? 1).ToArray());
            cases++;
        }
        Assert.True(cases > 2000);
    }

    [Fact]
    public void Slice_is_a_view_that_writes_through_to_the_base()
    {
        var t = Iota(4, 5);
        var v = t.Slice(1, 4, 0, -2); // columns 4, 2
        Assert.Same(t.Storage, v.Storage);
        AssertMapsTo(v, t, i => [i[0], 4 - 2 * i[1]]);
        v[2, 1] = -1;
        Assert.Equal(-1, t[2, 2]);
        v.Fill(7);
        Assert.Equal(7, t[3, 4]);
        Assert.Equal(7, t[0, 2]);
        Assert.Equal(1, t[0, 1]);
    }

    [Fact]
    public void Multi_axis_slices_and_range_indexer_match_the_reference()
    {
        var t = Iota(5, 6, 4);
        var v = t.Slice(new SliceRange(1, null, 2), SliceRange.Reverse, new SliceRange(-3, -1));
        Assert.Equal([2, 6, 2], v.Shape.ToArray());
        AssertMapsTo(v, t, i => [1 + 2 * i[0], 5 - i[1], 1 + i[2]]);

        var r = t[1..^1, ..2];
        Assert.Equal([3, 2, 4], r.Shape.ToArray());
        AssertMapsTo(r, t, i => [1 + i[0], i[1], i[2]]);
        Assert.Throws<ArgumentException>(() => t.Slice(SliceRange.All, SliceRange.All, SliceRange.All, SliceRange.All));
        Assert.Throws<ArgumentException>(() => t.Slice(0, 0, 2, 0));
    }

    [Fact]
    public void Empty_slices_have_size_zero_and_copy_to_empty_arrays()
    {
        var t = Iota(3, 4);
        var e = t.Slice(1, 3, 1);
        Assert.Equal([3, 0], e.Shape.ToArray());
        Assert.Equal(0, e.Length);
        Assert.Empty(e.ToArray());
        Assert.Equal([3, 0], e.Contiguous().Shape.ToArray());
        Assert.Equal([0, 4], t.Slice(0, 5, 9).Shape.ToArray());
        // A huge step takes one element (no stride overflow).
        Assert.Equal([4.0, 5, 6, 7], t.Slice(0, 1, 3, int.MaxValue).ToArray());
        Assert.Equal([8.0, 9, 10, 11], t.Slice(0, new SliceRange(null, null, int.MinValue + 1)).ToArray());
    }

    [Fact]
    public void Select_drops_the_axis_and_checks_the_index()
    {
        var t = Iota(3, 4, 2);
        var s = t.Select(1, -1);
        Assert.Equal([3, 2], s.Shape.ToArray());
        AssertMapsTo(s, t, i => [i[0], 3, i[1]]);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => t.Select(1, 4));
        Assert.Contains("(3, 4, 2)", ex.Message);
        Assert.Equal(0, Iota(3).Select(0, 2).Rank);
        Assert.Equal(2, Iota(3).Select(0, 2).Item());
    }

    [Fact]
    public void Transpose_and_permute_match_the_reference()
    {
        var m = Iota(3, 5);
        var mt = m.Transpose();
        Assert.Equal([5, 3], mt.Shape.ToArray());
        AssertMapsTo(mt, m, i => [i[1], i[0]]);
        Assert.False(mt.IsContiguous);

        var t = Iota(2, 3, 4);
        AssertMapsTo(t.Transpose(), t, i => [i[2], i[1], i[0]]);
        AssertMapsTo(t.Transpose(0, -1), t, i => [i[2], i[1], i[0]]);
        var p = t.Permute(1, 2, 0);
        Assert.Equal([3, 4, 2], p.Shape.ToArray());
        AssertMapsTo(p, t, i => [i[2], i[0], i[1]]);
        Assert.Throws<ArgumentException>(() => t.Permute(0, 0, 1));
        Assert.Throws<ArgumentException>(() => t.Permute(0, 1));
        p[2, 3, 1] = 99;
        Assert.Equal(99, t[1, 2, 3]);
    }

    [Fact]
    public void Reshape_of_contiguous_data_is_a_view()
    {
        var t = Iota(2, 6);
        var r = t.Reshape(3, -1);
        Assert.Equal([3, 4], r.Shape.ToArray());
        Assert.Same(t.Storage, r.Storage);
        r[2, 3] = -5;
        Assert.Equal(-5, t[1, 5]);
        Assert.Equal(t.ToArray(), t.Reshape(12).ToArray());
        Assert.Same(t.Storage, t.Flatten().Storage);
        Assert.Throws<ArgumentException>(() => t.Reshape(5, -1));
        Assert.Throws<ArgumentException>(() => t.Reshape(-1, -1));
        Assert.Throws<ArgumentException>(() => t.Reshape(4, 4));
    }

    [Fact]
    public void Reshape_of_a_strided_view_is_a_view_when_the_strides_allow_it()
    {
        var t = Iota(4, 6);
        var rows = t.Slice(0, 0, 4, 2);          // shape (2, 6), strides (12, 1)
        var v = rows.View(2, 2, 3);               // splitting the contiguous last axis is a view
        Assert.Same(t.Storage, v.Storage);
        AssertMapsTo(v, t, i => [2 * i[0], 3 * i[1] + i[2]]);
        Assert.Throws<ArgumentException>(() => rows.View(12)); // rows are not one run
        var copy = rows.Reshape(12);
        Assert.NotSame(t.Storage, copy.Storage);
        Assert.Equal(rows.ToArray(), copy.ToArray());

        // A broadcast (stride-0) axis can be split as a view too.
        var b = Iota(3).Unsqueeze(0).Expand(4, 3);
        var bv = b.View(2, 2, 3);
        Assert.Equal(0, bv.Strides[0]);
        Assert.Equal(b.ToArray(), bv.ToArray());
    }

    [Fact]
    public void Reshape_of_a_transpose_copies_in_row_major_order()
    {
        var m = Iota(3, 4);
        var mt = m.Transpose();
        var ex = Assert.Throws<ArgumentException>(() => mt.View(12));
        Assert.Contains("(4, 3)", ex.Message);
        var flat = mt.Reshape(-1);
        Assert.NotSame(m.Storage, flat.Storage);
        double[] expected = Indices(mt.Shape).Select(i => m[i[1], i[0]]).ToArray();
        Assert.Equal(expected, flat.ToArray());
        // Inserting size-1 dims into a transpose stays a view.
        Assert.Same(m.Storage, mt.Reshape(4, 1, 3).Storage);
    }

    [Fact]
    public void BroadcastTo_gives_stride_zero_and_follows_numpy_rules()
    {
        var col = Iota(3, 1);
        var b = col.BroadcastTo(2, 3, 4);
        Assert.Equal([2, 3, 4], b.Shape.ToArray());
        Assert.Equal(0, b.Strides[0]);
        Assert.Equal(0, b.Strides[2]);
        AssertMapsTo(b, col, i => [i[1], 0]);
        Assert.Same(col.Storage, b.Storage);
        Assert.Equal([2, 3, 0], col.BroadcastTo(2, 3, 0).Shape.ToArray());
        var ex = Assert.Throws<ArgumentException>(() => col.BroadcastTo(4, 4));
        Assert.Contains("(3, 1)", ex.Message);
        Assert.Contains("(4, 4)", ex.Message);
        Assert.Throws<ArgumentException>(() => col.BroadcastTo(3));
        Assert.Equal([3, 5], col.Expand(-1, 5).Shape.ToArray());
        Assert.Throws<ArgumentException>(() => col.Expand(-1, 3, 5));
        var s = MtlTensor.Scalar(2.5).BroadcastTo(2, 2);
        Assert.Equal([2.5, 2.5, 2.5, 2.5], s.ToArray());
    }

    [Fact]
    public void Squeeze_and_unsqueeze_round_trip()
    {
        var t = Iota(1, 3, 1, 2);
        var s = t.Squeeze();
        Assert.Equal([3, 2], s.Shape.ToArray());
        Assert.Equal(t.ToArray(), s.ToArray());
        Assert.Equal([3, 1, 2], t.Squeeze(0).Shape.ToArray());
        Assert.Equal([1, 3, 2], t.Squeeze(-2).Shape.ToArray());
        Assert.Throws<ArgumentException>(() => t.Squeeze(1));
        var u = s.Unsqueeze(1);
        Assert.Equal([3, 1, 2], u.Shape.ToArray());
        Assert.True(u.IsContiguous);
        Assert.Equal([3, 2, 1], s.Unsqueeze(-1).Shape.ToArray());
        Assert.Equal([1, 3, 2], s.Unsqueeze(0).Shape.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Unsqueeze(3));
        Assert.Same(t.Storage, u.Storage);
        Assert.Equal(0, MtlTensor.Scalar(1.0).Squeeze().Rank);
    }

    [Fact]
    public void Flip_reverses_with_a_negative_stride()
    {
        var t = Iota(2, 3);
        var f = t.Flip(1);
        Assert.Equal(-1, f.Strides[1]);
        AssertMapsTo(f, t, i => [i[0], 2 - i[1]]);
        Assert.Equal([2.0, 1, 0, 5, 4, 3], f.ToArray());
    }

    [Fact]
    public void Chained_views_compose()
    {
        var t = Iota(4, 5, 6);
        var v = t.Transpose(0, 2).Slice(1, SliceRange.Reverse).Select(2, 1).Slice(0, 1, 6, 2);
        // v[a, b] = t[1, 4 - b, 1 + 2a]
        Assert.Equal([3, 5], v.Shape.ToArray());
        AssertMapsTo(v, t, i => [1, 4 - i[1], 1 + 2 * i[0]]);
    }
}
