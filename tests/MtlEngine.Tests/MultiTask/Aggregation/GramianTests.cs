using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using static MtlEngine.Tests.MultiTask.AggregationTestData;

namespace MtlEngine.Tests.MultiTask.Aggregation;

/// <summary>The Gramian (by row products or SYRK) against the textbook SYRK, and its accurate spectrum against exact cases.</summary>
public class GramianTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 7)]
    [InlineData(8, 3)]
    [InlineData(5, 300)]
    [InlineData(2, 100_003)] // a training step's J: two tasks, a long row (the row-product branch)
    [InlineData(32, 4096)]   // the row-product branch's most rows and fewest columns
    [InlineData(33, 4099)]   // the SYRK's: one row more
    [InlineData(3, 4095)]    // the SYRK's: one column fewer
    [InlineData(1, 5003)]
    public void GramianMatchesTheTextbookSyrk(int t, int p)
    {
        var j = Gaussian(t, p, t * 31 + p);
        var g = Gramian.Compute(j);
        var reference = new DenseMatrix(t, t);
        MtlEngine.Kernels.Gemm.Syrk.UpdateReference(1.0, j.ReadOnlySpan.Transposed(), 0.0, reference.Span, Triangle.Lower, OtherTriangle.Mirrored);
        for (int i = 0; i < t; i++)
            for (int k = 0; k < t; k++)
            {
                Assert.Equal(g[i, k], g[k, i]);
                Assert.True(Math.Abs(g[i, k] - reference[i, k]) <= 1e-12 * Math.Sqrt(g[i, i] * g[k, k]));
            }
    }

    [Fact]
    public void SpectrumKeepsTheSmallEigenvaluesAccurateWhenNormsDiffer()
    {
        // Rows 10³·u₁, 10⁻³·(u₁·sin + u₂·cos)... built from an orthonormal pair: the eigenvalues of G are known in closed form
        // only for orthogonal rows, so use orthogonal rows with norms 10⁻⁴ .. 10⁴ rotated by a random orthogonal P × P map.
        int t = 5, p = 7;
        var q = Gaussian(p, p, 3);
        var qr = Qr(q);
        var norms = new[] { 1e4, 1e-4, 1.0, 1e2, 1e-2 };
        var j = new DenseMatrix(t, p);
        for (int i = 0; i < t; i++)
            for (int k = 0; k < p; k++) j[i, k] = norms[i] * qr[k, i];
        var (values, vectors) = Gramian.Spectrum(j);
        var expected = norms.Select(n => n * n).OrderDescending().ToArray();
        Assert.Equal(t, values.Length);
        for (int k = 0; k < t; k++) Assert.True(Math.Abs(values[k] - expected[k]) <= 1e-12 * expected[k], $"λ{k} = {values[k]:R}, exact {expected[k]:R}");
        for (int k = 0; k < t; k++) Assert.True(Math.Abs(Math.Abs(vectors[Array.IndexOf(norms, Math.Sqrt(expected[k]))!, k]) - 1) <= 1e-12);
    }

    [Fact]
    public void SpectrumReconstructsTheGramianAndFindsTheRank()
    {
        var j = Gaussian(6, 3, 9); // rank 3
        var g = Gramian.Compute(j);
        var (values, vectors) = Gramian.Spectrum(j);
        Assert.Equal(3, values.Length);
        double scale = g.Data.Max(Math.Abs);
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++)
            {
                double sum = 0;
                for (int k = 0; k < 3; k++) sum += vectors[a, k] * values[k] * vectors[b, k];
                Assert.True(Math.Abs(sum - g[a, b]) <= 1e-12 * scale);
            }
        var duplicate = Gaussian(4, 5, 2);
        duplicate.Row(0).CopyTo(duplicate.Row(3));
        Assert.Equal(3, Gramian.Spectrum(duplicate).Values.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(8)]
    [InlineData(9)]
    [InlineData(33)]
    [InlineData(1001)]
    public void ExtendedDotMatchesItsTwinAndTheExactSum(int n)
    {
        // Terms of magnitudes 2⁻²⁰..2²⁰ with signs mixed: the exact sum in integers (values scaled by 2³⁰⁰).
        var random = new Random(n + 1);
        var x = Enumerable.Range(0, n).Select(_ => (random.NextDouble() - 0.5) * Math.ScaleB(1, random.Next(-20, 20))).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => (random.NextDouble() - 0.5) * Math.ScaleB(1, random.Next(-20, 20))).ToArray();
        System.Numerics.BigInteger exact = 0;
        double size = 0;
        for (int i = 0; i < n; i++)
        {
            exact += new System.Numerics.BigInteger(Math.ScaleB(x[i], 150)) * new System.Numerics.BigInteger(Math.ScaleB(y[i], 150));
            size += Math.Abs(x[i] * y[i]);
        }
        foreach (var dot in new[] { GramianSpectrum.ExtendedDot(x, y), GramianSpectrum.ExtendedDotReference(x, y) })
        {
            var got = new System.Numerics.BigInteger(Math.ScaleB(dot.Hi, 300)) + new System.Numerics.BigInteger(Math.ScaleB(dot.Lo, 300));
            double error = Math.Abs((double)(got - exact)) / Math.ScaleB(1, 300);
            Assert.True(error <= 4 * Math.Max(n, 1) * 1.3e-32 * size, $"n = {n}: error {error:G3} against Σ|xy| = {size:G3}");
        }
    }

    [Fact]
    public void BothFactorsOfTheSpectrumAgree()
    {
        // Far from dependent rows with norms 10⁻³..10³ (the Gramian's Cholesky route) against the pivoted QR of J, the twin
        // route; T > P and dependent rows go through the QR only. Every factor must satisfy X·Xᵀ = G.
        var norms = new[] { 1e-3, 1.0, 1e3, 30.0, 0.02 };
        var j = Gaussian(5, 9, 4);
        for (int i = 0; i < 5; i++)
        {
            double n = Math.Sqrt(j.Row(i).ToArray().Sum(v => v * v));
            for (int k = 0; k < 9; k++) j[i, k] *= norms[i] / n;
        }
        var viaGramian = GramianSpectrum.Of(j);
        var viaQr = GramianSpectrum.Of(j, forceQr: true);
        Assert.False(viaGramian.FromQr);
        Assert.True(viaQr.FromQr);
        Assert.Equal(5, viaGramian.Rank);
        Assert.Equal(5, viaQr.Rank);
        for (int k = 0; k < 5; k++) Assert.True(Math.Abs(viaGramian.Values[k] - viaQr.Values[k]) <= 1e-14 * viaQr.Values[k], $"λ{k}");
        var b = Enumerable.Range(0, 5).Select(i => (DoubleDouble)Math.Cos(i)).ToArray();
        var inverse = viaGramian.InverseTimes(b);
        foreach (var x in new[] { viaQr.InverseTimes(b), viaGramian.Apply(l => 1.0 / l, b), viaQr.Apply(l => 1.0 / l, b) })
            for (int i = 0; i < 5; i++) Assert.True(Math.Abs((double)(x[i] - inverse[i])) <= 1e-13 * Math.Abs((double)inverse[i]), $"G⁻¹b[{i}]");
        var wide = Gaussian(6, 3, 9);
        wide.Row(1).CopyTo(wide.Row(4));
        foreach (var (matrix, spectrum) in new[] { (j, viaGramian), (j, viaQr), (wide, GramianSpectrum.Of(wide)) })
        {
            var g = Gramian.Compute(matrix);
            var x = spectrum.Factor;
            for (int a = 0; a < matrix.Rows; a++)
                for (int c = 0; c < matrix.Rows; c++)
                {
                    double sum = 0;
                    for (int k = 0; k < x.GetLength(1); k++) sum += (double)(x[a, k] * x[c, k]);
                    Assert.True(Math.Abs(sum - g[a, c]) <= 1e-14 * Math.Sqrt(g[a, a] * g[c, c]), $"(X·Xᵀ)[{a}, {c}]");
                }
        }
        Assert.True(GramianSpectrum.Of(wide).FromQr);
        Assert.Equal(3, GramianSpectrum.Of(wide).Rank);
    }

    /// <summary>The Q of a Gram-Schmidt QR (twice, for orthogonality to rounding).</summary>
    private static DenseMatrix Qr(DenseMatrix a)
    {
        int n = a.Rows;
        var q = a.Clone();
        for (int pass = 0; pass < 2; pass++)
            for (int c = 0; c < n; c++)
            {
                for (int prev = 0; prev < c; prev++)
                {
                    double dot = 0;
                    for (int r = 0; r < n; r++) dot += q[r, prev] * q[r, c];
                    for (int r = 0; r < n; r++) q[r, c] -= dot * q[r, prev];
                }
                double norm = 0;
                for (int r = 0; r < n; r++) norm += q[r, c] * q[r, c];
                norm = Math.Sqrt(norm);
                for (int r = 0; r < n; r++) q[r, c] /= norm;
            }
        return q;
    }
}
