using MtlEngine.Kernels.Layout;

namespace MtlEngine.Tests.Kernels.Layout;

/// <summary>
/// The register transposes against their definition, t[j·ts + k] = s[k·ss + j], bit for bit: random bit patterns with
/// NaN payloads, signed zeros and infinities among them, strides wider than the block, and nothing outside the block written.
/// </summary>
public unsafe class RegisterTransposeTests
{
    private const long DoubleSentinel = 0x7A5A5A5A5A5A5A5A;
    private const int FloatSentinel = 0x7A5A5A5A;

    [Avx512Fact]
    public void Double8x8IsTheTransposeOnPointersAndReferences()
    {
        foreach (var (ss, ts) in new[] { (8, 8), (11, 8), (8, 13), (17, 29) })
            for (int form = 0; form < 2; form++)
            {
                var random = new Random(ss * 31 + ts + form);
                var s = new double[7 * ss + 8 + 3];
                for (int i = 0; i < s.Length; i++) s[i] = BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue));
                s[1] = -0.0; s[ss + 2] = double.PositiveInfinity;
                s[2 * ss + 3] = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234); s[3 * ss] = BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0001);
                var t = new double[7 * ts + 8 + 3];
                Array.Fill(t, BitConverter.Int64BitsToDouble(DoubleSentinel));
                if (form == 0)
                    fixed (double* ps = s) fixed (double* pt = t) RegisterTranspose.Double8x8(ps, ss, pt, ts);
                else
                    RegisterTranspose.Double8x8(ref s[0], ss, ref t[0], ts);
                for (int i = 0; i < t.Length; i++)
                {
                    int j = i / ts, k = i % ts;
                    long expected = j < 8 && k < 8 ? BitConverter.DoubleToInt64Bits(s[k * ss + j]) : DoubleSentinel;
                    Assert.True(expected == BitConverter.DoubleToInt64Bits(t[i]), $"ss={ss} ts={ts} form={form}: element {i} (row {j}, column {k})");
                }
            }
    }

    [Avx2Fact]
    public void Double4x4IsTheTransposeOnPointersAndReferences()
    {
        foreach (var (ss, ts) in new[] { (4, 4), (7, 4), (4, 9), (13, 6) })
            for (int form = 0; form < 2; form++)
            {
                var (s, t) = DoubleBlocks(4, ss, ts, seed: ss * 31 + ts + form);
                if (form == 0)
                    fixed (double* ps = s) fixed (double* pt = t) RegisterTranspose.Double4x4(ps, ss, pt, ts);
                else
                    RegisterTranspose.Double4x4(ref s[0], ss, ref t[0], ts);
                AssertTransposed(s, ss, t, ts, 4, $"4x4 ss={ss} ts={ts} form={form}");
            }
    }

    /// <summary>
    /// The float64 8×8 transpose of the LU panel copies (TriangularSolve.Transpose8x8): Double8x8 with AVX-512, four
    /// Double4x4 without it (run the tests with DOTNET_EnableAVX512=0 for that branch).
    /// </summary>
    [Avx2Fact]
    public void TriangularSolveDouble8x8IsTheTranspose()
    {
        Assert.True(MtlEngine.LinearAlgebra.TriangularSolve.CanTransposeInRegisters<double>());
        foreach (var (ss, ts) in new[] { (8, 8), (11, 8), (8, 13), (17, 29) })
        {
            var (s, t) = DoubleBlocks(8, ss, ts, seed: ss * 17 + ts);
            MtlEngine.LinearAlgebra.TriangularSolve.Transpose8x8(ref s[0], ss, ref t[0], ts);
            AssertTransposed(s, ss, t, ts, 8, $"8x8 ss={ss} ts={ts}");
        }
    }

    /// <summary>
    /// The AVX2 branch of TriangularSolve.Transpose8x8 (four Double4x4) called directly, so that it runs on AVX-512
    /// machines too, where the dispatch takes Double8x8.
    /// </summary>
    [Avx2Fact]
    public void TriangularSolveDouble8x8By4x4IsTheTranspose()
    {
        foreach (var (ss, ts) in new[] { (8, 8), (11, 8), (8, 13), (17, 29) })
        {
            var (s, t) = DoubleBlocks(8, ss, ts, seed: ss * 19 + ts);
            MtlEngine.LinearAlgebra.TriangularSolve.Double8x8By4x4(ref s[0], ss, ref t[0], ts);
            AssertTransposed(s, ss, t, ts, 8, $"8x8 by 4x4 ss={ss} ts={ts}");
        }
    }

    private static (double[] Source, double[] Target) DoubleBlocks(int b, int ss, int ts, int seed)
    {
        var random = new Random(seed);
        var s = new double[(b - 1) * ss + b + 3];
        for (int i = 0; i < s.Length; i++) s[i] = BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue));
        s[1] = -0.0; s[ss + 2] = double.PositiveInfinity;
        s[2 * ss + 3] = BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234); s[3 * ss] = BitConverter.Int64BitsToDouble(0x7FF0_0000_0000_0001);
        var t = new double[(b - 1) * ts + b + 3];
        Array.Fill(t, BitConverter.Int64BitsToDouble(DoubleSentinel));
        return (s, t);
    }

    private static void AssertTransposed(double[] s, int ss, double[] t, int ts, int b, string what)
    {
        for (int i = 0; i < t.Length; i++)
        {
            int j = i / ts, k = i % ts;
            long expected = j < b && k < b ? BitConverter.DoubleToInt64Bits(s[k * ss + j]) : DoubleSentinel;
            Assert.True(expected == BitConverter.DoubleToInt64Bits(t[i]), $"{what}: element {i} (row {j}, column {k})");
        }
    }

    [Avx512Fact]
    public void Float16x16IsTheTranspose()
    {
        foreach (var (ss, ts) in new[] { (16, 16), (19, 16), (16, 23), (33, 17) })
        {
            var (s, t) = FloatBlocks(16, ss, ts, seed: ss * 31 + ts);
            fixed (float* ps = s) fixed (float* pt = t) RegisterTranspose.Float16x16(ps, ss, pt, ts);
            AssertTransposed(s, ss, t, ts, 16, $"16x16 ss={ss} ts={ts}");
        }
    }

    [Avx2Fact]
    public void Float8x8IsTheTranspose()
    {
        foreach (var (ss, ts) in new[] { (8, 8), (9, 8), (8, 12), (21, 10) })
        {
            var (s, t) = FloatBlocks(8, ss, ts, seed: ss * 31 + ts);
            RegisterTranspose.Float8x8(ref s[0], ss, ref t[0], ts);
            AssertTransposed(s, ss, t, ts, 8, $"8x8 ss={ss} ts={ts}");
        }
    }

    private static (float[] Source, float[] Target) FloatBlocks(int b, int ss, int ts, int seed)
    {
        var random = new Random(seed);
        var s = new float[(b - 1) * ss + b + 3];
        for (int i = 0; i < s.Length; i++) s[i] = BitConverter.Int32BitsToSingle(random.Next(int.MinValue, int.MaxValue));
        s[1] = -0.0f; s[ss + 2] = float.NegativeInfinity;
        s[2 * ss + 3] = BitConverter.Int32BitsToSingle(0x7FC0_1234); s[3 * ss] = BitConverter.Int32BitsToSingle(0x7F80_0001);
        var t = new float[(b - 1) * ts + b + 3];
        Array.Fill(t, BitConverter.Int32BitsToSingle(FloatSentinel));
        return (s, t);
    }

    private static void AssertTransposed(float[] s, int ss, float[] t, int ts, int b, string what)
    {
        for (int i = 0; i < t.Length; i++)
        {
            int j = i / ts, k = i % ts;
            int expected = j < b && k < b ? BitConverter.SingleToInt32Bits(s[k * ss + j]) : FloatSentinel;
            Assert.True(expected == BitConverter.SingleToInt32Bits(t[i]), $"{what}: element {i} (row {j}, column {k})");
        }
    }
}
