using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>
/// The block reflector read in place (<see cref="Householder.ApplyBlockInPlace"/>, <see cref="Householder.BuildTInPlace"/>:
/// only V's unit-lower top copied) against its twin on the explicit V (<see cref="Householder.ExplicitV"/>,
/// <see cref="Householder.BuildT(PooledMatrix, System.ReadOnlySpan{double})"/>, <see cref="Householder.ApplyBlock(PooledMatrix, DenseMatrix, bool, MatrixSpan{double}, Parallelism)"/>),
/// over odd shapes, both T and Tᵀ, reflectors stored in columns (QR) and in rows (a transposed view, as the eigen back-transformation reads them).
/// </summary>
public class HouseholderBlockTests
{
    [Theory]
    [InlineData(1, 0, 1, 3)]
    [InlineData(5, 0, 5, 2)]
    [InlineData(13, 0, 7, 5)]
    [InlineData(40, 3, 17, 9)]
    [InlineData(97, 1, 33, 1)]
    [InlineData(70, 5, 64, 31)]
    public void InPlaceBlockMatchesExplicitV(int m, int r0, int b, int r)
    {
        const int j0 = 2;
        // Any entries below the implied unit diagonal and any τ: the identity is algebraic.
        var f = Random(m, j0 + b + 1, m + b);
        int bb = Math.Min(b, m - r0);
        var tauBlock = Enumerable.Range(0, bb).Select(i => 1 + Math.Sin(i + 1)).ToArray();
        foreach (bool rowStored in new[] { false, true })
        {
            // Also read through a transposed view of the transposed storage (strided, as SymmetricEigen.BackTransform does).
            ReadOnlyMatrixSpan<double> a = rowStored ? f.Transpose().ReadOnlySpan.Transposed() : f.ReadOnlySpan;
            using var v = Householder.ExplicitV(a, r0, j0, bb);
            var expectedT = Householder.BuildT(v, tauBlock);
            var tm = new DenseMatrix(bb, bb);
            var t = tm.Data;
            Householder.BuildTInPlace(a, r0, j0, bb, tauBlock, t);
            AssertSmall(RelativeError(tm, expectedT), 1e-13, $"T, m={m} r0={r0} b={bb} rows={rowStored}");
            foreach (bool transpose in new[] { false, true })
            {
                var c0 = Random(m - r0, r, r + m);
                var expected = c0.Clone();
                Householder.ApplyBlock(v, expectedT, transpose, expected.Span, new Parallelism(2));
                var actual = c0.Clone();
                var tv = new ReadOnlyMatrixSpan<double>(t, bb, bb);
                Householder.ApplyBlockInPlace(a, r0, j0, bb, transpose ? tv.Transposed() : tv, actual.Span, new Parallelism(2));
                AssertSmall(RelativeError(actual, expected), 1e-13, $"(I − V·T·Vᵀ){(transpose ? "ᵀ" : "")}·C, m={m} r0={r0} b={bb} rows={rowStored}");
            }
        }
    }

    [Fact]
    public void InPlaceBlockRejectsCWithTheWrongRowCount()
    {
        var f = Random(10, 4, 1);
        var c = new DenseMatrix(9, 2);
        Assert.Throws<MatrixShapeException>(() => Householder.ApplyBlockInPlace(f.ReadOnlySpan, 0, 0, 4, new ReadOnlyMatrixSpan<double>(new double[16], 4, 4), c.Span, new Parallelism(1)));
    }
}
