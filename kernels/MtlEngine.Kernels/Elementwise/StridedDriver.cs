namespace MtlEngine.Kernels.Elementwise;

/// <summary>
/// Element-wise operations over n-dimensional strided operands (broadcast strides 0 and negative strides
/// allowed) into a strided destination, all indexed by one iteration <c>shape</c>. Dimensions that are
/// contiguous together in every operand are collapsed first; each innermost row then runs the vectorized
/// span form when its strides are 1 (or, for binary operations, when one input's inner stride is 0, the
/// form with a broadcast scalar), and a scalar loop otherwise. Large work is split over threads by a fixed
/// partition; element-wise results do not depend on the split.
/// </summary>
/// <remarks>The destination must not overlap an input, except by being exactly that input.</remarks>
public static class StridedDriver
{
    private const int GatherChunk = 128;

    /// <summary>d[i] = op(x[i]) for every index i of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">When an operand's strides do not match the shape's rank.</exception>
    public static void Unary<T, TOp>(ReadOnlySpan<int> shape, StridedArray<T> x, StridedArray<T> d, TOp op, Parallelism parallelism)
        where T : unmanaged
        where TOp : struct, IUnarySpanOperator<T>
    {
        StridedLayout.CheckRanks(shape, x.Strides, d.Strides);
        int room = Math.Max(shape.Length, 1);
        Span<int> s = room <= 32 ? stackalloc int[room] : new int[room];
        Span<int> st = room <= 32 ? stackalloc int[2 * room] : new int[2 * room];
        int r = StridedLayout.CollapseInto(shape, [x.Strides, d.Strides], s, st);
        var kernel = new UnaryRow<T, TOp>(x.Data, st[r - 1], d.Data, st[2 * r - 1], op);
        StridedLayout.Run(s[..r], st[..(2 * r)], [x.Offset, d.Offset], parallelism, kernel);
    }

    /// <summary>d[i] = op(x[i], y[i]) for every index i of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">When an operand's strides do not match the shape's rank.</exception>
    public static void Binary<T, TOp>(ReadOnlySpan<int> shape, StridedArray<T> x, StridedArray<T> y, StridedArray<T> d, TOp op, Parallelism parallelism)
        where T : unmanaged
        where TOp : struct, IBinarySpanOperator<T>
    {
        StridedLayout.CheckRanks(shape, x.Strides, y.Strides, d.Strides);
        int room = Math.Max(shape.Length, 1);
        Span<int> s = room <= 32 ? stackalloc int[room] : new int[room];
        Span<int> st = room <= 32 ? stackalloc int[3 * room] : new int[3 * room];
        int r = StridedLayout.CollapseInto(shape, [x.Strides, y.Strides, d.Strides], s, st);
        var kernel = new BinaryRow<T, TOp>(x.Data, st[r - 1], y.Data, st[2 * r - 1], d.Data, st[3 * r - 1], op);
        StridedLayout.Run(s[..r], st[..(3 * r)], [x.Offset, y.Offset, d.Offset], parallelism, kernel);
    }

    /// <summary>d[i] = op(a[i], b[i], c[i]) for every index i of <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">When an operand's strides do not match the shape's rank.</exception>
    public static void Ternary<T, TOp>(ReadOnlySpan<int> shape, StridedArray<T> a, StridedArray<T> b, StridedArray<T> c, StridedArray<T> d, TOp op, Parallelism parallelism)
        where T : unmanaged
        where TOp : struct, ITernarySpanOperator<T>
    {
        StridedLayout.CheckRanks(shape, a.Strides, b.Strides, c.Strides, d.Strides);
        int room = Math.Max(shape.Length, 1);
        Span<int> s = room <= 32 ? stackalloc int[room] : new int[room];
        Span<int> st = room <= 32 ? stackalloc int[4 * room] : new int[4 * room];
        int r = StridedLayout.CollapseInto(shape, [a.Strides, b.Strides, c.Strides, d.Strides], s, st);
        var kernel = new TernaryRow<T, TOp>(a.Data, st[r - 1], b.Data, st[2 * r - 1], c.Data, st[3 * r - 1], d.Data, st[4 * r - 1], op);
        StridedLayout.Run(s[..r], st[..(4 * r)], [a.Offset, b.Offset, c.Offset, d.Offset], parallelism, kernel);
    }

    // A unary row that is not unit-stride is gathered into a small buffer, run through the span form and
    // scattered back, so strided and contiguous inputs give bit-identical results.
    private readonly struct UnaryRow<T, TOp>(T[] x, int sx, T[] d, int sd, TOp op) : IRowKernel
        where T : unmanaged
        where TOp : struct, IUnarySpanOperator<T>
    {
        public void Row(ReadOnlySpan<int> offsets, int start, int count)
        {
            int xo = offsets[0] + start * sx, dO = offsets[1] + start * sd;
            if (sx == 1 && sd == 1)
            {
                op.Invoke(x.AsSpan(xo, count), d.AsSpan(dO, count));
                return;
            }
            Span<T> buffer = stackalloc T[GatherChunk];
            for (int done = 0; done < count; done += GatherChunk)
            {
                int n = Math.Min(GatherChunk, count - done);
                Span<T> chunk = buffer[..n];
                for (int i = 0; i < n; i++) chunk[i] = x[xo + (done + i) * sx];
                op.Invoke(chunk, chunk);
                for (int i = 0; i < n; i++) d[dO + (done + i) * sd] = chunk[i];
            }
        }
    }

    private readonly struct BinaryRow<T, TOp>(T[] x, int sx, T[] y, int sy, T[] d, int sd, TOp op) : IRowKernel
        where T : unmanaged
        where TOp : struct, IBinarySpanOperator<T>
    {
        public void Row(ReadOnlySpan<int> offsets, int start, int count)
        {
            int xo = offsets[0] + start * sx, yo = offsets[1] + start * sy, dO = offsets[2] + start * sd;
            if (sd == 1 && sx == 1 && sy == 1)
                op.Invoke(x.AsSpan(xo, count), y.AsSpan(yo, count), d.AsSpan(dO, count));
            else if (sd == 1 && sx == 1 && sy == 0)
                op.Invoke(x.AsSpan(xo, count), y[yo], d.AsSpan(dO, count));
            else if (sd == 1 && sx == 0 && sy == 1)
                op.Invoke(x[xo], y.AsSpan(yo, count), d.AsSpan(dO, count));
            else
                for (int i = 0; i < count; i++)
                    d[dO + i * sd] = op.Invoke(x[xo + i * sx], y[yo + i * sy]);
        }
    }

    private readonly struct TernaryRow<T, TOp>(T[] a, int sa, T[] b, int sb, T[] c, int sc, T[] d, int sd, TOp op) : IRowKernel
        where T : unmanaged
        where TOp : struct, ITernarySpanOperator<T>
    {
        public void Row(ReadOnlySpan<int> offsets, int start, int count)
        {
            int ao = offsets[0] + start * sa, bo = offsets[1] + start * sb, co = offsets[2] + start * sc, dO = offsets[3] + start * sd;
            if (sa == 1 && sb == 1 && sc == 1 && sd == 1)
                op.Invoke(a.AsSpan(ao, count), b.AsSpan(bo, count), c.AsSpan(co, count), d.AsSpan(dO, count));
            else
                for (int i = 0; i < count; i++)
                    d[dO + i * sd] = op.Invoke(a[ao + i * sa], b[bo + i * sb], c[co + i * sc]);
        }
    }
}
