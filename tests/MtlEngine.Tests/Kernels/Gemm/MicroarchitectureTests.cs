using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Kernels.Gemm;

public class MicroarchitectureTests
{
    [Theory]
    [InlineData("AuthenticAMD", 0x19, 0x01, false, Microarchitecture.Zen3)]   // EPYC Milan
    [InlineData("AuthenticAMD", 0x19, 0x21, false, Microarchitecture.Zen3)]   // Ryzen 5000 (Vermeer)
    [InlineData("AuthenticAMD", 0x19, 0x50, false, Microarchitecture.Zen3)]   // Cezanne
    [InlineData("AuthenticAMD", 0x19, 0x11, true, Microarchitecture.Zen4)]    // EPYC Genoa
    [InlineData("AuthenticAMD", 0x19, 0x61, true, Microarchitecture.Zen4)]    // Ryzen 7000 (Raphael)
    [InlineData("AuthenticAMD", 0x1A, 0x02, true, Microarchitecture.Zen5)]    // EPYC Turin
    [InlineData("AuthenticAMD", 0x17, 0x31, false, Microarchitecture.Unknown)] // Zen 2: not in the table
    [InlineData("GenuineIntel", 6, 0xCF, true, Microarchitecture.IntelAvx512)] // Emerald Rapids
    [InlineData("GenuineIntel", 6, 0x97, false, Microarchitecture.IntelAvx2)]  // Alder Lake
    [InlineData("HygonGenuine", 0x18, 0x01, false, Microarchitecture.Unknown)]
    public void Identifies_the_families_of_the_block_size_table(string vendor, int family, int model, bool avx512, Microarchitecture expected) =>
        Assert.Equal(expected, CpuDescription.Identify(vendor, family, model, avx512));

    [Fact]
    public void This_machine_is_described_and_its_model_is_one_token()
    {
        var cpu = CpuDescription.Current;
        Assert.False(string.IsNullOrEmpty(cpu.Vendor));
        Assert.DoesNotContain(' ', cpu.ModelToken);
        Assert.DoesNotContain('=', cpu.ModelToken);
        Assert.InRange(cpu.L1DataBytes, 0, 1 << 22);
        Assert.True(cpu.L2Bytes == 0 || cpu.L2Bytes >= cpu.L1DataBytes);
    }

    [Fact]
    public void Every_row_of_the_block_size_table_tiles_whole_register_tiles_and_fits_the_caches()
    {
        foreach (var set in new[] { GemmInstructionSet.Avx512, GemmInstructionSet.Avx2, GemmInstructionSet.Portable })
            foreach (var uarch in Enum.GetValues<Microarchitecture>())
            {
                Check(GemmBlockSizes.For<float>(set, uarch), 4, $"{set} {uarch} float");
                Check(GemmBlockSizes.For<double>(set, uarch), 8, $"{set} {uarch} double");
            }
        // Zen 3's double A block is half the generic AVX2 one (512 KiB L2); Intel AVX-512 and Zen 5 run the resident-A order.
        Assert.Equal(72, GemmBlockSizes.For<double>(GemmInstructionSet.Avx2, Microarchitecture.Zen3).MC);
        Assert.True(GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.IntelAvx512).ResidentA);
        Assert.True(GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.Zen5).ResidentA);
        Assert.True(GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5).ResidentA);
        // Zen 4's AVX2 float row is the generic one with KC 384 (its double row the generic one).
        Assert.Equal(GemmBlockSizes.For<float>(GemmInstructionSet.Avx2, Microarchitecture.Unknown) with { KC = 384 },
                     GemmBlockSizes.For<float>(GemmInstructionSet.Avx2, Microarchitecture.Zen4));
        Assert.Equal(GemmBlockSizes.For<double>(GemmInstructionSet.Avx2, Microarchitecture.Unknown),
                     GemmBlockSizes.For<double>(GemmInstructionSet.Avx2, Microarchitecture.Zen4));
        // Zen 4 runs Zen 5's rows, its double A block (MC) halved: MC changes only which rows share a block, never a sum
        // (its own measurements: see GemmBlockSizes).
        Assert.Equal(GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.Zen5), GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.Zen4));
        Assert.Equal(GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5) with { MC = 1024 },
                     GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen4));

        static void Check(GemmBlockSizes b, int size, string what)
        {
            Assert.True(b.MC % b.MR == 0, $"{what}: MC {b.MC} is not a multiple of MR {b.MR}");
            Assert.True(b.NC % b.NR == 0, $"{what}: NC {b.NC} is not a multiple of NR {b.NR}");
            if (b.ResidentA)
            {
                // The resident-A order keeps A's micro-panel in L1 and B's panel in L2 (A's block lives in L3); at most two
                // thirds of a 48 KiB L1 (Zen 5's double 8×512 panel: 32 KiB, see GemmBlockSizes).
                Assert.True((long)b.MR * b.KC * size <= 32 * 1024, $"{what}: the A micro-panel exceeds two thirds of a 48 KiB L1");
                Assert.True((long)b.KC * b.NC * size <= 1024 * 1024, $"{what}: the B panel exceeds 1 MiB");
                return;
            }
            Assert.True((long)b.KC * b.NR * size <= 48 * 1024, $"{what}: the B micro-panel exceeds 48 KiB of L1");
            Assert.True((long)b.MC * b.KC * size <= 1024 * 1024, $"{what}: the A block exceeds 1 MiB");
        }
    }

    [Theory]
    [InlineData(Microarchitecture.Zen3)]
    [InlineData(Microarchitecture.IntelAvx512)]
    [InlineData(Microarchitecture.Zen4)]
    [InlineData(Microarchitecture.Zen5)]
    public void Each_microarchitectures_blocks_give_the_reference_product(Microarchitecture uarch)
    {
        // Shapes that cross MC (72 to 720), KC (256) and a partial last tile, on 1 and 2 threads.
        var random = new Random(41);
        foreach (var set in GemmInstructionSets.Supported.Where(s => s is GemmInstructionSet.Avx2 or GemmInstructionSet.Avx512))
            foreach (int threads in new[] { 1, 2 })
            {
                var blocks = GemmBlockSizes.For<double>(set, uarch);
                var a = TestMatrix<double>.Random(731, 300, Layout.RowMajor, random);
                var b = TestMatrix<double>.Random(300, 53, Layout.RowMajor, random);
                var c = TestMatrix<double>.Random(731, 53, Layout.RowMajor, random);
                var expected = c.Clone();
                GemmReference.Multiply(1.0, a.ReadOnly, b.ReadOnly, 0.0, expected.View);
                global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.0, a.ReadOnly, b.ReadOnly, 0.0, c.View, new Parallelism(threads), set, blocks);
                GemmAssert.Close(expected, c, GemmAssert.Tolerance<double>(300), $"{set} {uarch} threads {threads}");
            }
    }

    [Theory]
    [InlineData(20000, 10, 256, false)]    // logistic regression's X·Wᵀ (20000 samples, 256 features, 10 classes)
    [InlineData(10, 256, 20000, false)]    // and its gradient Gᵀ·X (the same speed on either row): deeper than 4096
    [InlineData(256, 256, 20000, false)]   // PCA's SYRK of XᵀX (20000×512): resident-A lost 13 % there
    [InlineData(2048, 2048, 4096, true)]   // the greatest depth
    [InlineData(2048, 2048, 4097, false)]
    [InlineData(4096, 256, 512, false)]    // narrow B
    [InlineData(512, 512, 512, false)]     // too shallow for resident-A's deeper KC to pay
    [InlineData(2048, 2048, 1023, false)]
    [InlineData(2048, 2048, 1024, true)]   // the least depth, whatever m and n
    [InlineData(1, 1, 1024, true)]
    [InlineData(304, 720, 1024, true)]     // the n = 2048 Cholesky's top-level strip product on 2 threads
    [InlineData(512, 512, 1024, true)]     // and its SYRK half on 1 thread: the same KC for the same elements
    [InlineData(2048, 2048, 2048, true)]
    public void Zen5_and_Zen4_run_the_resident_A_rows_only_for_deep_products_up_to_4096(int m, int n, int k, bool residentA)
    {
        var generic = (F: GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.Unknown),
                       D: GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Unknown));
        var zen5 = (F: GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.Zen5, m, n, k),
                    D: GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5, m, n, k));
        Assert.Equal(residentA, zen5.F.ResidentA);
        Assert.Equal(residentA, zen5.D.ResidentA);
        // Deep products get the Zen 5 rows as they stand; the others the generic AVX-512 rows, every block size.
        Assert.Equal(residentA ? GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.Zen5) : generic.F, zen5.F);
        Assert.Equal(residentA ? GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5) : generic.D, zen5.D);
        // Zen 4 runs Zen 5's rows (its double A block halved) under the same rule.
        Assert.Equal(zen5.F, GemmBlockSizes.For<float>(GemmInstructionSet.Avx512, Microarchitecture.Zen4, m, n, k));
        Assert.Equal(residentA ? zen5.D with { MC = 1024 } : zen5.D, GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen4, m, n, k));
        // The rule is Zen 5's and Zen 4's alone: other machines and instruction sets get their row whatever the shape.
        Assert.Equal(GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.IntelAvx512),
                     GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.IntelAvx512, m, n, k));
        Assert.Equal(GemmBlockSizes.For<float>(GemmInstructionSet.Avx2, Microarchitecture.Zen5),
                     GemmBlockSizes.For<float>(GemmInstructionSet.Avx2, Microarchitecture.Zen5, m, n, k));
    }

    [Fact]
    public void Every_row_blocks_the_depth_alike_whatever_m_and_n()
    {
        // The factorizations split one update into different products on 1 and 2 threads (the Cholesky's row strips
        // against its SYRK's halves, the TRSM's row shares), along m and n: each element keeps its k-blocking, hence its
        // bits, only if the depth blocks of the row a shape gets depend on k alone. Shapes the SYRK and the Cholesky
        // produce (m, n from 1 to 3000, the SYRK's leaf 96, strips 152-720) for depths around every boundary of the rule.
        int[] widths = [1, 8, 24, 64, 96, 152, 176, 256, 304, 360, 511, 512, 720, 1024, 1500, 3000];
        int[] depths = [1, 64, 255, 256, 288, 320, 360, 512, 750, 1023, 1024, 1025, 1500, 2048, 3000, 4096, 4097, 20000];
        foreach (var set in new[] { GemmInstructionSet.Avx512, GemmInstructionSet.Avx2, GemmInstructionSet.Portable })
            foreach (var uarch in Enum.GetValues<Microarchitecture>())
                foreach (int k in depths)
                {
                    int f = GemmDriver<float, PortableMicrokernel<float>>.DepthBlock(k, GemmBlockSizes.For<float>(set, uarch, 1, 1, k).KC);
                    int d = GemmDriver<double, PortableMicrokernel<double>>.DepthBlock(k, GemmBlockSizes.For<double>(set, uarch, 1, 1, k).KC);
                    foreach (int m in widths)
                        foreach (int n in widths)
                        {
                            Assert.True(f == GemmDriver<float, PortableMicrokernel<float>>.DepthBlock(k, GemmBlockSizes.For<float>(set, uarch, m, n, k).KC), $"float {set} {uarch} {m}x{n}x{k}");
                            Assert.True(d == GemmDriver<double, PortableMicrokernel<double>>.DepthBlock(k, GemmBlockSizes.For<double>(set, uarch, m, n, k).KC), $"double {set} {uarch} {m}x{n}x{k}");
                        }
                }
    }

    [Avx512Fact]
    public void A_skinny_product_on_Zen5_s_shape_rule_gives_the_reference_product()
    {
        // X·Wᵀ of logistic regression with B transposed (packed), through the blocks the rule picks, on 1 and 2 threads.
        var random = new Random(43);
        var x = TestMatrix<double>.Random(1000, 256, Layout.RowMajor, random);
        var w = TestMatrix<double>.Random(10, 256, Layout.RowMajor, random);
        var expected = TestMatrix<double>.Random(1000, 10, Layout.RowMajor, random);
        GemmReference.Multiply(1.0, x.ReadOnly, w.ReadOnly.Transposed(), 0.0, expected.View);
        var blocks = GemmBlockSizes.For<double>(GemmInstructionSet.Avx512, Microarchitecture.Zen5, 1000, 10, 256);
        Assert.False(blocks.ResidentA);
        foreach (int threads in new[] { 1, 2 })
        {
            var c = TestMatrix<double>.Random(1000, 10, Layout.RowMajor, random);
            global::MtlEngine.Kernels.Gemm.Gemm.MultiplyWithBlocks(1.0, x.ReadOnly, w.ReadOnly.Transposed(), 0.0, c.View, new Parallelism(threads), GemmInstructionSet.Avx512, blocks);
            GemmAssert.Close(expected, c, GemmAssert.Tolerance<double>(256), $"threads {threads}");
        }
    }
}
