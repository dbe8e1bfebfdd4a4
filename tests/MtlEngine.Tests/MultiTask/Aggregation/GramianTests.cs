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
        var (values, vectors) = Gramian.Spectrum(Gramian.Normalize(Gramian.Compute(j)));
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
        var (values, vectors) = Gramian.Spectrum(Gramian.Normalize(g));
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
        Assert.Equal(3, Gramian.PivotedCholesky(Gramian.Normalize(Gramian.Compute(duplicate)).Unit).Rank);
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
