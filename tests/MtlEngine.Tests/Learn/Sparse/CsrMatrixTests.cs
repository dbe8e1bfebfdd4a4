using MtlEngine.Data;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gemm;
using MtlEngine.Learn;
using MtlEngine.Learn.Sparse;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.Tests.Learn.Sparse;

public class CsrMatrixTests
{
    private static DenseMatrix SparseRandom(int rows, int columns, double density, int seed)
    {
        var rng = new Random(seed);
        var m = new DenseMatrix(rows, columns);
        for (int i = 0; i < m.Data.Length; i++)
            if (rng.NextDouble() < density) m.Data[i] = rng.NextDouble() * 2 - 1;
        return m;
    }

    private static void AssertClose(DenseMatrix expected, DenseMatrix actual)
    {
        Assert.Equal(expected.Rows, actual.Rows);
        Assert.Equal(expected.Columns, actual.Columns);
        for (int i = 0; i < expected.Data.Length; i++)
            Assert.True(Math.Abs(expected.Data[i] - actual.Data[i]) <= 1e-12 * (1 + Math.Abs(expected.Data[i])), $"entry {i}: {expected.Data[i]} vs {actual.Data[i]}");
    }

    [Theory]
    [InlineData(0, 5, 3)]
    [InlineData(7, 0, 2)]
    [InlineData(130, 57, 9)]
    [InlineData(300, 40, 1)]
    public void ProductsAgreeWithTheDenseGemm(int rows, int columns, int k)
    {
        var dense = SparseRandom(rows, columns, 0.1, rows + columns);
        var csr = CsrMatrix.FromDense(dense);
        AssertClose(dense, csr.ToDense());
        var b = SparseRandom(columns, k, 1.0, 3);
        AssertClose(DenseMatrix.Multiply(dense, b), csr.Multiply(b, new Parallelism(3)));
        var g = SparseRandom(rows, k, 1.0, 4);
        AssertClose(DenseMatrix.Multiply(dense, g, MatrixOp.Transpose), csr.TransposeMultiply(g));
        var v = SparseRandom(columns, 1, 1.0, 5).Data;
        AssertClose(DenseMatrix.Multiply(dense, DenseMatrix.Column(v)), DenseMatrix.Column(csr.Multiply(v)));
        var u = SparseRandom(rows, 1, 1.0, 6).Data;
        AssertClose(DenseMatrix.Multiply(dense, DenseMatrix.Column(u), MatrixOp.Transpose), DenseMatrix.Column(csr.TransposeMultiply(u)));
    }

    [Fact]
    public void MultiplyDoesNotDependOnTheThreadCount()
    {
        var csr = CsrMatrix.FromDense(SparseRandom(500, 80, 0.05, 1));
        var b = SparseRandom(80, 6, 1.0, 2);
        var one = csr.Multiply(b, new Parallelism(1));
        for (int t = 2; t <= 4; t++) Assert.Equal(one.Data, csr.Multiply(b, new Parallelism(t)).Data);
    }

    [Fact]
    public void SelectRowsAndNormalizeRows()
    {
        var dense = SparseRandom(20, 9, 0.3, 7);
        var csr = CsrMatrix.FromDense(dense);
        int[] rows = [3, 3, 0, 19];
        var picked = csr.SelectRows(rows).ToDense();
        for (int r = 0; r < rows.Length; r++) Assert.Equal(dense.Row(rows[r]).ToArray(), picked.Row(r).ToArray());
        var normalized = csr.NormalizeRows().ToDense();
        for (int i = 0; i < 20; i++)
        {
            double norm = Math.Sqrt(dense.Row(i).ToArray().Sum(x => x * x));
            for (int j = 0; j < 9; j++) Assert.Equal(norm == 0 ? 0 : dense[i, j] / norm, normalized[i, j], 14);
        }
    }

    [Fact]
    public void MalformedArraysAreRejectedWithTheirPlace()
    {
        Assert.Contains("length 3", Assert.Throws<ArgumentException>(() => new CsrMatrix(2, 2, [0, 1], [0], [1.0])).Message);
        Assert.Contains("outside [0, 2)", Assert.Throws<ArgumentException>(() => new CsrMatrix(1, 2, [0, 1], [2], [1.0])).Message);
        Assert.Contains("strictly increasing", Assert.Throws<ArgumentException>(() => new CsrMatrix(1, 3, [0, 2], [1, 1], [1.0, 2.0])).Message);
        Assert.Throws<MatrixShapeException>(() => CsrMatrix.FromDense(new DenseMatrix(2, 3)).Multiply(new DenseMatrix(2, 1)));
    }
}

public class ModelFileTests
{
    [Fact]
    public void RoundTripsTensorsKindAndMetadata()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mtl-model-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModelFile.Write(path, "ridge", [NdArray.Create("coef_", new double[] { 1, 2, 3, 4 }, 2, 2)], new Dictionary<string, string> { ["alpha"] = "0.5" });
            var model = ModelFile.Read(path, "ridge");
            Assert.Equal("ridge", model.Kind);
            Assert.Equal("ridge", ModelFile.ReadKind(path));
            Assert.Equal(0.5, model.Number("alpha"));
            Assert.Equal(new double[] { 1, 2, 3, 4 }, (double[])model.Tensor("coef_").Data);
            Assert.Contains("no tensor 'components_'", Assert.Throws<DataFormatException>(() => model.Tensor("components_")).Message);
            Assert.Contains("not a 'pca' model", Assert.Throws<DataFormatException>(() => ModelFile.Read(path, "pca")).Message);
            Safetensors.Write(path, [NdArray.Create("w", new double[] { 1 }, 1)]);
            Assert.Contains("not an MtlEngine model file", Assert.Throws<DataFormatException>(() => ModelFile.Read(path, null)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
