using MtlEngine.Kernels;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Tensors;

public class MatmulTests
{
    private static MtlTensor<double> Random(Random random, params int[] shape)
    {
        var data = new double[MtlTensor<double>.CheckedLength(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = random.NextDouble() - 0.5;
        return MtlTensor.FromArray(data, shape);
    }

    private static double At(MtlTensor<double> t, int[] index)
    {
        int offset = t.Offset;
        for (int d = 0; d < index.Length; d++) offset += index[d] * t.Strides[d];
        return t.CpuStorage.Data[offset];
    }

    /// <summary>The textbook twin of NumPy matmul: promote 1-D, broadcast the batch, sum over k for every output index.</summary>
    private static (int[] Shape, double[] Values) Expected(MtlTensor<double> a, MtlTensor<double> b)
    {
        int[] aShape = a.Rank == 1 ? [1, a.Shape[0]] : a.Shape.ToArray(), bShape = b.Rank == 1 ? [b.Shape[0], 1] : b.Shape.ToArray();
        int batchRank = Math.Max(aShape.Length, bShape.Length) - 2;
        var batch = new int[batchRank];
        for (int d = 0; d < batchRank; d++)
        {
            int da = d - (batchRank - (aShape.Length - 2)), db = d - (batchRank - (bShape.Length - 2));
            batch[d] = Math.Max(da >= 0 ? aShape[da] : 1, db >= 0 ? bShape[db] : 1);
        }
        int m = aShape[^2], k = aShape[^1], n = bShape[^1];
        int count = batch.Aggregate(1, (x, y) => x * y);
        var values = new double[count * m * n];
        var idx = new int[batchRank];
        for (int t = 0; t < count; t++)
        {
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++)
                    {
                        var ai = new int[a.Rank]; var bi = new int[b.Rank];
                        for (int d = 0; d < a.Rank - 2; d++) ai[d] = a.Shape[d] == 1 ? 0 : idx[d + batchRank - (a.Rank - 2)];
                        for (int d = 0; d < b.Rank - 2; d++) bi[d] = b.Shape[d] == 1 ? 0 : idx[d + batchRank - (b.Rank - 2)];
                        if (a.Rank == 1) ai[0] = p; else { ai[^2] = i; ai[^1] = p; }
                        if (b.Rank == 1) bi[0] = p; else { bi[^2] = p; bi[^1] = j; }
                        sum += At(a, ai) * At(b, bi);
                    }
                    values[(t * m + i) * n + j] = sum;
                }
            for (int d = batchRank - 1; d >= 0 && ++idx[d] == batch[d]; d--) idx[d] = 0;
        }
        var shape = new List<int>(batch);
        if (a.Rank > 1) shape.Add(m);
        if (b.Rank > 1) shape.Add(n);
        return ([.. shape], values);
    }

    private static void Check(MtlTensor<double> a, MtlTensor<double> b, int threads)
    {
        var (shape, values) = Expected(a, b);
        var c = a.Matmul(b, new Parallelism(threads));
        Assert.Equal(shape, c.Shape.ToArray());
        // An empty result is checked by shape only (the skeleton's IsContiguous calls an empty (3, 0, 4) view non-contiguous).
        var actual = c.Length == 0 ? [] : c.AsSpan();
        for (int i = 0; i < values.Length; i++) Assert.True(Math.Abs(values[i] - actual[i]) < 1e-12, $"element {i}: {actual[i]} vs {values[i]}");
    }

    [Fact]
    public void Matmul_follows_numpy_semantics()
    {
        var random = new Random(51);
        Check(Random(random, 5, 7), Random(random, 7, 3), 1);             // 2-D
        Check(Random(random, 7), Random(random, 7, 3), 1);                // 1-D left → (3,)
        Check(Random(random, 5, 7), Random(random, 7), 2);                // 1-D right → (5,)
        Check(Random(random, 7), Random(random, 7), 1);                   // dot → ()
        Check(Random(random, 4, 5, 7), Random(random, 7, 30), 2);         // batch × matrix (broadcast)
        Check(Random(random, 2, 1, 5, 7), Random(random, 3, 7, 2), 2);    // broadcast batch dims → (2, 3, 5, 2)
        Check(Random(random, 3, 0, 7), Random(random, 7, 4), 1);          // empty m
        Check(Random(random, 3, 5, 0), Random(random, 0, 4), 1);          // k = 0 → zeros
    }

    [Fact]
    public void Transposed_and_strided_views_are_read_in_place()
    {
        var random = new Random(53);
        var a = Random(random, 6, 40);
        var aT = new MtlTensor<double>(a.Storage, 0, [40, 6], [1, 40]);        // Aᵀ as a view
        var b = Random(random, 6, 2, 9);
        var bSlice = new MtlTensor<double>(b.Storage, 1, [6, 9], [18, 2]);     // every other element: a strided view
        Check(aT, bSlice, 2);
        var batched = new MtlTensor<double>(Random(random, 3, 40, 6).Storage, 0, [3, 6, 40], [240, 1, 6]); // batch of transposes
        Check(batched, Random(random, 40, 5), 2);
    }

    [Fact]
    public void Matmul_rejects_bad_shapes_and_types_clearly()
    {
        var random = new Random(55);
        var ex = Assert.Throws<ArgumentException>(() => Random(random, 2, 3).Matmul(Random(random, 4, 2)));
        Assert.Contains("(2, 3)", ex.Message);
        Assert.Throws<ArgumentException>(() => Random(random, 2, 2, 3).Matmul(Random(random, 3, 3, 2)));
        Assert.Throws<NotSupportedException>(() => MtlTensor.Zeros<int>(2, 2).Matmul(MtlTensor.Zeros<int>(2, 2)));
    }
}
