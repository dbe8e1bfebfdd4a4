using System.Text.Json;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>Values against NumPy/LAPACK, produced by Fixtures/LinearAlgebra/make_linalg_fixtures.py.</summary>
public class FixtureTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "LinearAlgebra", "linalg_fixtures.json"))).RootElement;

    private static DenseMatrix Matrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int m = rows.Length, n = m == 0 ? 0 : rows[0].Length;
        var a = new DenseMatrix(m, n);
        for (int i = 0; i < m; i++) rows[i].CopyTo(a.Row(i));
        return a;
    }

    private static double[] Vector(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    [Fact]
    public void EigenvaluesMatchNumPy()
    {
        foreach (var name in new[] { "eigh", "eigh_hilbert" })
        {
            var c = Root.GetProperty(name);
            var a = Matrix(c.GetProperty("a"));
            AssertClose(Vector(c.GetProperty("values")), SymmetricEigen.Compute(a).Values, 1e-13, name);
            AssertClose(Vector(c.GetProperty("values")), JacobiEigenTextbook.Compute(a).Values, 1e-13, name + " (Jacobi)");
        }
    }

    [Fact]
    public void SingularValuesAndVectorsMatchNumPy()
    {
        var c = Root.GetProperty("svd");
        var svd = Svd.Compute(Matrix(c.GetProperty("a")));
        AssertClose(Vector(c.GetProperty("values")), svd.SingularValues, 1e-13, "σ");
        // Same sign convention as scikit-learn's svd_flip, so the vectors agree entry by entry.
        AssertSmall(RelativeError(svd.U, Matrix(c.GetProperty("u"))), 1e-11, "U");
        var w = Root.GetProperty("svd_wide");
        AssertClose(Vector(w.GetProperty("values")), Svd.Compute(Matrix(w.GetProperty("a"))).SingularValues, 1e-13, "wide σ");
    }

    [Fact]
    public void DeterminantsMatchNumPy()
    {
        var c = Root.GetProperty("det");
        Assert.Equal(c.GetProperty("det").GetDouble(), Lu.Factor(Matrix(c.GetProperty("a"))).Determinant(), 12);
        var l = Root.GetProperty("logdet");
        Assert.Equal(l.GetProperty("logdet").GetDouble(), Cholesky.Factor(Matrix(l.GetProperty("a"))).LogDeterminant(), 12);
    }

    [Fact]
    public void LeastSquaresMatchesNumPy()
    {
        var c = Root.GetProperty("lstsq");
        var a = Matrix(c.GetProperty("a"));
        var b = Vector(c.GetProperty("b"));
        var expected = Vector(c.GetProperty("x"));
        AssertClose(expected, Qr.Factor(a).LeastSquares(b), 1e-12, "QR lstsq");
        AssertClose(expected, Svd.Compute(a).LeastSquares(DenseMatrix.Column(b)).Data, 1e-12, "SVD lstsq");
        AssertClose(expected, Lsqr.Solve(a, b, tolerance: 1e-15, maxIterations: 100).Solution, 1e-10, "LSQR");

        var r = Root.GetProperty("lstsq_rank_deficient");
        var low = Matrix(r.GetProperty("a"));
        Assert.Equal(r.GetProperty("rank").GetInt32(), Svd.Compute(low).Rank());
        Assert.Equal(r.GetProperty("rank").GetInt32(), PivotedQr.Factor(low).Rank());
        // NumPy's lstsq gives the minimum-norm solution, as the SVD's does.
        AssertClose(Vector(r.GetProperty("x")), Svd.Compute(low).LeastSquares(DenseMatrix.Column(Vector(r.GetProperty("b")))).Data, 1e-11, "min-norm lstsq");
    }

    [Fact]
    public void ConditionNumberMatchesNumPy()
    {
        var c = Root.GetProperty("cond_hilbert6");
        double expected = c.GetProperty("cond2").GetDouble();
        Assert.Equal(1, ConditionEstimate.TwoNorm(Matrix(c.GetProperty("a"))) / expected, 8);
    }
}
