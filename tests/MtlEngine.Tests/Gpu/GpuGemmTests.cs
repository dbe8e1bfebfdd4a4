using System.Numerics;
using ILGPU.Runtime;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Tests.Kernels.Gemm;

namespace MtlEngine.Tests.Gpu;

/// <summary>The GPU GEMM on ILGPU's CPU accelerator against the CPU's textbook GEMM and the checksum identity.</summary>
public class GpuGemmTests(IlgpuCpuFixture fixture) : IClassFixture<IlgpuCpuFixture>
{
    private readonly GpuContext _gpu = fixture.Gpu;

    // The CPU GEMM tests' shapes: empty, 1×1, m < k, k < n, and sizes that are not multiples of the GPU tile (BM = BN = 32, BK = 8).
    private static readonly (int M, int N, int K)[] Shapes =
    [
        (0, 0, 0), (0, 5, 3), (4, 0, 3), (3, 4, 0), (1, 1, 1), (2, 3, 17), (17, 33, 65), (5, 70, 9), (13, 31, 2),
        (12, 32, 7), (8, 24, 8), (25, 49, 33), (11, 95, 1), (24, 16, 257), (7, 9, 193), (250, 9, 11), (37, 200, 5),
        (361, 33, 3), (9, 260, 4), (32, 32, 8), (33, 31, 9),
    ];

    private GpuMatrix<T> Upload<T>(TestMatrix<T> m, List<GpuBuffer<T>> owned) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var buffer = _gpu.Pool.Rent<T>(m.Data.Length);
        buffer.CopyFromHost(m.Data);
        owned.Add(buffer);
        return new GpuMatrix<T>(buffer.View, m.Offset, m.Rows, m.Columns, m.RowStride, m.ColumnStride);
    }

    private void TwinOverShapes<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(23);
        var layouts = Enum.GetValues<Layout>();
        int round = 0;
        foreach (var (m, n, k) in Shapes)
        {
            // Every layout of A, B and C in turn: column-major operands are transposed views, reversed ones have negative strides.
            var la = layouts[round % 4]; var lb = layouts[(round / 4 + round) % 4]; var lc = layouts[(round * 3 + 1) % 4];
            round++;
            var a = TestMatrix<T>.Random(m, k, la, random);
            var b = TestMatrix<T>.Random(k, n, lb, random);
            var c = TestMatrix<T>.Random(m, n, lc, random);
            var c0 = c.Clone();
            var expected = c.Clone();
            T alpha = T.CreateTruncating(1.5), beta = round % 3 == 0 ? T.Zero : T.CreateTruncating(-0.5);
            GemmReference.Multiply(alpha, a.ReadOnly, b.ReadOnly, beta, expected.View);

            var owned = new List<GpuBuffer<T>>();
            try
            {
                var cDevice = Upload(c, owned);
                GpuGemm.Multiply(_gpu, alpha, Upload(a, owned), Upload(b, owned), beta, cDevice);
                _gpu.Synchronize();
                owned[0].CopyToHost(0, c.Data);
            }
            finally { owned.ForEach(o => o.Dispose()); }

            string what = $"GPU {typeof(T).Name} {m}×{n}×{k} A {la} B {lb} C {lc} β {beta}";
            GemmAssert.Close(expected, c, GemmAssert.Tolerance<T>(k), what);
            GemmAssert.GapsUntouched(c);
            double residual = GemmChecksum.MaxRelativeError(alpha, a.ReadOnly, b.ReadOnly, beta, c0.ReadOnly, c.ReadOnly, random);
            Assert.True(residual <= GemmAssert.Tolerance<T>(k), $"{what}: checksum residual {residual}");
        }
    }

    [Fact]
    public void Float_gemm_matches_the_reference_on_odd_shapes_and_layouts() => TwinOverShapes<float>();

    [Fact]
    public void Double_gemm_matches_the_reference_on_odd_shapes_and_layouts() => TwinOverShapes<double>();

    [Fact]
    public void Transposed_operands_are_views()
    {
        // Aᵀ·Bᵀ = (B·A)ᵀ, with A stored 9×5 and B stored 13×9 row-major: op(A) is 5×9, op(B) is 9×13.
        var random = new Random(5);
        var a = TestMatrix<double>.Random(9, 5, Layout.RowMajor, random);
        var b = TestMatrix<double>.Random(13, 9, Layout.RowMajor, random);
        var expected = new double[5 * 13];
        GemmReference.Multiply(1.0, a.ReadOnly.Transposed(), b.ReadOnly.Transposed(), 0.0, new MatrixSpan<double>(expected, 5, 13));
        using var aBuffer = _gpu.Pool.Rent<double>(a.Data.Length);
        using var bBuffer = _gpu.Pool.Rent<double>(b.Data.Length);
        using var cBuffer = _gpu.Pool.Rent<double>(expected.Length);
        aBuffer.CopyFromHost(a.Data);
        bBuffer.CopyFromHost(b.Data);
        GpuGemm.Multiply(_gpu, 1.0, GpuMatrix<double>.RowMajor(aBuffer.View, 9, 5).Transposed(),
            GpuMatrix<double>.RowMajor(bBuffer.View, 13, 9).Transposed(), 0.0, GpuMatrix<double>.RowMajor(cBuffer.View, 5, 13));
        _gpu.Synchronize();
        var actual = new double[expected.Length];
        cBuffer.CopyToHost(0, actual);
        for (int i = 0; i < actual.Length; i++) Assert.Equal(expected[i], actual[i], 1e-12);
    }

    [Fact]
    public void Mismatched_shapes_name_them()
    {
        using var buffer = _gpu.Pool.Rent<float>(12);
        var e = Assert.Throws<ArgumentException>(() => GpuGemm.Multiply(_gpu, 1f, GpuMatrix<float>.RowMajor(buffer.View, 3, 4),
            GpuMatrix<float>.RowMajor(buffer.View, 3, 4), 0f, GpuMatrix<float>.RowMajor(buffer.View, 3, 4)));
        Assert.Contains("3×4", e.Message);
    }
}
