using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>DenseMatrix.Transpose (the strided copy's tiles) against its definition, t[j, i] = a[i, j].</summary>
public class DenseMatrixTransposeTests
{
    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 1)]
    [InlineData(1, 40)]
    [InlineData(7, 3)]
    [InlineData(33, 65)]  // tiles of 32 with a tail on both sides
    [InlineData(100, 31)]
    [InlineData(3, 70)]
    [InlineData(2, 700)]  // fewer rows than a tile, but long ones: tiles of 32 columns with a tail
    public void Transpose_moves_every_element_to_its_mirror_place(int rows, int columns)
    {
        var a = Random(rows, columns, rows * 100 + columns);
        var t = a.Transpose();
        Assert.Equal(columns, t.Rows);
        Assert.Equal(rows, t.Columns);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) Assert.Equal(a[i, j], t[j, i]);
    }
}
