using System.Text.Json;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>Minimum-norm least squares through pivoted QR + complete orthogonal decomposition, against
/// numpy.linalg.lstsq (Fixtures/LinearAlgebra/make_lstsq_fixtures.py) and its defining properties.</summary>
public class QrLeastSquaresTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "LinearAlgebra", "lstsq_fixtures.json"))).RootElement;

    private static DenseMatrix Matrix(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetDouble()).ToArray()).ToArray();
        int m = rows.Length, n = m == 0 ? 0 : rows[0].Length;
        var a = new DenseMatrix(m, n);
        for (int i = 0; i < m; i++) rows[i].CopyTo(a.Row(i));
        return a;
    }

    [Theory]
    [InlineData("tall_rank3")]
    [InlineData("wide_full_row_rank")]
    [InlineData("wide_rank4")]
    [InlineData("duplicated_columns")]
    [InlineData("zero")]
    [InlineData("full_rank_tall")]
    [InlineData("near_rank5")]
    public void MatchesNumPyLstsq(string name)
    {
        var c = Root.GetProperty(name);
        var a = Matrix(c.GetProperty("a"));
        var b = Matrix(c.GetProperty("b"));
        var expected = Matrix(c.GetProperty("x"));
        double rcond = c.GetProperty("rcond").GetDouble();
        double? tolerance = rcond < 0 ? null : rcond;
        var (x, rank) = PivotedQr.MinimumNormLeastSquares(a, b, tolerance, new Parallelism(2));
        Assert.Equal(c.GetProperty("rank").GetInt32(), rank);
        Assert.Equal(expected.Rows, x.Rows);
        Assert.Equal(expected.Columns, x.Columns);
        double scale = Math.Max(1, Dense.MaxAbs(expected.Data));
        for (int i = 0; i < x.Data.Length; i++)
            Assert.True(Math.Abs(x.Data[i] - expected.Data[i]) <= 1e-9 * scale, $"{name} x[{i}]: expected {expected.Data[i]:R}, got {x.Data[i]:R}");
    }

    [Theory]
    [InlineData(40, 25, 9)]
    [InlineData(25, 40, 9)]
    [InlineData(64, 64, 63)]
    [InlineData(7, 3, 3)]
    public void MinimumNormPropertiesOnRankDeficientProblems(int m, int n, int rank)
    {
        var a = LowRank(m, n, rank, m + n);
        var b = Random(m, 2, 5);
        var pqr = PivotedQr.Factor(a);
        Assert.Equal(rank, pqr.Rank());
        var x = pqr.MinimumNormLeastSquares(b);
        // Normal equations Aᵀ·(A·X − B) = 0 ...
        var r = DenseMatrix.Multiply(a, x);
        for (int i = 0; i < r.Data.Length; i++) r.Data[i] -= b.Data[i];
        var g = DenseMatrix.Multiply(a, r, MatrixOp.Transpose);
        AssertSmall(g.FrobeniusNorm() / (a.FrobeniusNorm() * a.FrobeniusNorm() * Math.Max(1, x.FrobeniusNorm())), 1e-11, "normal equations");
        // ... and X in the row space of A: X = Aᵀ·U, so adding a null-space vector of A only makes it longer. The
        // basic solution solves the same problem and is never shorter.
        var basic = pqr.LeastSquares(b);
        Assert.True(x.FrobeniusNorm() <= basic.FrobeniusNorm() * (1 + 1e-12), "min-norm ≤ basic");
        // Row-space check without an SVD: an orthonormal basis Q₁ of range(Aᵀ) from the pivoted QR of Aᵀ; Q₁·Q₁ᵀ·X = X.
        var qt = PivotedQr.Factor(a.Transpose());
        var q1 = qt.ThinQ().SliceColumns(0, rank);
        var coefficients = DenseMatrix.Multiply(q1, x, MatrixOp.Transpose);
        var inRowSpace = DenseMatrix.Multiply(q1, coefficients);
        AssertSmall(RelativeError(inRowSpace, x), 1e-10, "X ∈ range(Aᵀ)");
    }

    [Fact]
    public void FullRankAgreesWithPlainQrLeastSquaresAndShapesAreChecked()
    {
        var a = Random(50, 12, 3);
        var b = Random(50, 3, 4);
        var (x, rank) = PivotedQr.MinimumNormLeastSquares(a, b);
        Assert.Equal(12, rank);
        AssertSmall(RelativeError(x, Qr.Factor(a).LeastSquares(b)), 1e-12, "full rank = QR least squares");
        var e = Assert.Throws<MatrixShapeException>(() => PivotedQr.MinimumNormLeastSquares(a, new DenseMatrix(49, 1)));
        Assert.Contains("(49, 1)", e.Message);
        var (empty, r0) = PivotedQr.MinimumNormLeastSquares(new DenseMatrix(3, 0), new DenseMatrix(3, 2));
        Assert.Equal(0, r0);
        Assert.Equal(0, empty.Rows);
    }
}
