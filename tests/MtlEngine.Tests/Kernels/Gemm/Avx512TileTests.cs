using System.Numerics;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

/// <summary>
/// Every AVX-512 tile (float 12×32 and its 4×32 short tile, double 8×24 and its 8×16 narrow tile: one body, Avx512Tile.Run)
/// against its textbook twin: for each element of the tile a scalar chain of fused multiply-adds in k order, then α·sum
/// (β = 0) or α·sum + β·C fused, bitwise; everything outside the tile untouched. Depths around the k loop's split (the C
/// tile is prefetched 24 steps before the end) and around the prefetch distances (8 and 16 steps).
/// </summary>
public class Avx512TileTests
{
    private static readonly int[] Depths = [0, 1, 5, 8, 16, 23, 24, 25, 31, 48, 97];

    [Avx512Fact]
    public unsafe void Every_tile_is_bitwise_a_scalar_chain_of_fused_steps()
    {
        Check<float>(Avx512Float12x32.Run, mr: 12, tileRows: 12, tileColumns: 32);
        Check<float>(Avx512Float12x32.RunShort, mr: 12, tileRows: 4, tileColumns: 32);
        Check<double>(Avx512Double8x24.Run, mr: 8, tileRows: 8, tileColumns: 24);
        Check<double>(Avx512Double8x24.RunNarrow, mr: 8, tileRows: 8, tileColumns: 16);
    }

    private unsafe delegate void TileRun<T>(int kc, T* a, T* b, nint ldb, T* c, nint ldc, T alpha, T beta) where T : unmanaged;

    private static unsafe void Check<T>(TileRun<T> run, int mr, int tileRows, int tileColumns)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(67);
        const int ldb = 41, ldc = 37, rows = 14; // strides wider than the tile, rows of C beyond it: guards
        T alpha = T.CreateTruncating(1.5);
        foreach (int kc in Depths)
            foreach (T beta in new[] { T.Zero, T.CreateTruncating(0.75) })
            {
                var a = new T[mr * Math.Max(kc, 1)]; var b = new T[Math.Max(kc, 1) * ldb];
                for (int i = 0; i < a.Length; i++) a[i] = T.CreateTruncating(random.NextDouble() - 0.5);
                for (int i = 0; i < b.Length; i++) b[i] = T.CreateTruncating(random.NextDouble() - 0.5);
                var c = new T[rows * ldc];
                for (int i = 0; i < c.Length; i++) c[i] = T.CreateTruncating(random.NextDouble());
                var expected = GemmTests.TileByDefinition(tileRows, tileColumns, kc, a, mr, b, ldb, c, ldc, alpha, beta);
                fixed (T* pa = a, pb = b, pc = c) run(kc, pa, pb, ldb, pc, ldc, alpha, beta);
                Assert.True(expected.AsSpan().SequenceEqual(c),
                    $"{typeof(T).Name} tile {tileRows}×{tileColumns}, kc = {kc}, β = {beta}: differs from the scalar chain.");
            }
    }
}
