using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

public class CsvTests
{
    private static CsvTable Parse(string text, CsvOptions? options = null) => Csv.Read(new StringReader(text), "t.csv", options);

    [Fact]
    public void DetectsAHeaderRow()
    {
        CsvTable table = Parse("sepal length,\"petal width\"\n5.1,0.2\n4.9,0.25\n");
        Assert.Equal(["sepal length", "petal width"], table.ColumnNames);
        Assert.Equal([2, 2], table.Array.Shape.ToArray());
        Assert.Equal([5.1, 0.2, 4.9, 0.25], (double[])table.Array.Data);
    }

    [Fact]
    public void AllNumericFirstRowIsData()
    {
        CsvTable table = Parse("1,2,3\r\n4,5,6\r\n\r\n# a comment\n7,8,9");
        Assert.Null(table.ColumnNames);
        Assert.Equal([3, 3], table.Array.Shape.ToArray());
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (double)i), (double[])table.Array.Data);
    }

    [Fact]
    public void ExplicitHeaderOptionsOverrideDetection()
    {
        Assert.Equal(["1", "2"], Parse("1,2\n3,4\n", new CsvOptions { Header = CsvHeader.Present }).ColumnNames);
        TestArrays.Rejects(() => Parse("a,b\n3,4\n", new CsvOptions { Header = CsvHeader.Absent }), "line 1, column 1: 'a' is not a number");
    }

    [Fact]
    public void ReadsNumpysSpellingsOfSpecialValues()
    {
        double[] values = (double[])Parse("nan,NaN,inf,-inf,+inf,Infinity,-Infinity,1e-5,-0.5E+3, 7 \n").Array.Data;
        Assert.True(double.IsNaN(values[0]) && double.IsNaN(values[1]));
        Assert.Equal([double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity, double.PositiveInfinity, double.NegativeInfinity, 1e-5, -500, 7], values[2..]);
    }

    [Fact]
    public void OtherSeparators()
    {
        Assert.Equal([1.5, 2, 3, 4], (double[])Parse("1.5;2\n3;4\n", new CsvOptions { Separator = ';' }).Array.Data);
        CsvTable spaced = Parse("  x   y\n1\t 2\n   3 4  \n", new CsvOptions { WhitespaceSeparated = true });
        Assert.Equal(["x", "y"], spaced.ColumnNames);
        Assert.Equal([1.0, 2, 3, 4], (double[])spaced.Array.Data);
    }

    [Theory]
    [InlineData("1,2,3\n4,5\n", "line 2 has 2 fields but the first row has 3")]
    [InlineData("a,b\n1,2\n3,4,5\n", "line 3 has 3 fields but the header has 2")]
    [InlineData("1,2\n3,x\n", "line 2, column 2: 'x' is not a number")]
    [InlineData("1,2\n3,\n", "line 2, column 2: '' is not a number")]
    [InlineData("1,2\n3,1.2.3\n", "'1.2.3' is not a number")]
    [InlineData("1,2\n3,0x10\n", "'0x10' is not a number")]
    public void BadRowsNameTheLine(string text, string problem) => TestArrays.Rejects(() => Parse(text), problem);

    [Fact]
    public void EmptyAndHeaderOnlyFiles()
    {
        Assert.Equal([0, 0], Parse("").Array.Shape.ToArray());
        CsvTable headerOnly = Parse("a,b,c\n");
        Assert.Equal([0, 3], headerOnly.Array.Shape.ToArray());
        Assert.Equal(["a", "b", "c"], headerOnly.ColumnNames);
    }

    [Theory]
    [InlineData(DType.Float64)]
    [InlineData(DType.Float32)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    [InlineData(DType.UInt8)]
    [InlineData(DType.Bool)]
    public void RoundTripKeepsEveryValue(DType dtype)
    {
        foreach (int[] shape in new[] { new[] { 7 }, [4, 3], [1, 1], [0, 5], [300, 7] })
        {
            NdArray array = TestArrays.Make(dtype, shape, seed: shape.Sum());
            string[] names = Enumerable.Range(0, shape.Length == 1 ? 1 : shape[1]).Select(i => $"col {i}").ToArray();
            foreach (string[]? header in new[] { null, names })
            {
                var writer = new StringWriter();
                Csv.Write(writer, array, header);
                CsvTable table = Parse(writer.ToString(), new CsvOptions { Header = header is null ? CsvHeader.Absent : CsvHeader.Present });
                Assert.Equal(header, table.ColumnNames);
                // Read back as float64 of shape (rows, columns); each value converts back exactly. With no rows and
                // no header nothing tells the column count.
                int[] expectedShape = shape.Length == 1 ? [shape[0], 1] : shape[0] == 0 && header is null ? [0, 0] : shape;
                Assert.Equal(expectedShape, table.Array.Shape.ToArray());
                Assert.Equal(array.ToDoubleArray(), table.Array.ToDoubleArray());
            }
        }
    }

    [Fact]
    public void SpecialValuesRoundTrip()
    {
        var writer = new StringWriter();
        Csv.Write(writer, NdArray.Create("", new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue, 0.1 }));
        Assert.StartsWith("nan\ninf\n-inf\n-0\n", writer.ToString());
        double[] back = (double[])Parse(writer.ToString()).Array.Data;
        Assert.Equal([double.NaN, double.PositiveInfinity, double.NegativeInfinity, -0.0, double.Epsilon, double.MaxValue, 0.1], back);
        Assert.True(double.IsNegative(back[3]));
    }

    [Fact]
    public void WriterRejectsWhatCsvCannotHold()
    {
        Assert.Throws<ArgumentException>(() => Csv.Write(new StringWriter(), TestArrays.Make(DType.Float64, [2, 2, 2], 1)));
        Assert.Throws<ArgumentException>(() => Csv.Write(new StringWriter(), TestArrays.Make(DType.Float64, [], 1)));
        Assert.Throws<ArgumentException>(() => Csv.Write(new StringWriter(), TestArrays.Make(DType.Float64, [2, 2], 1), ["a"]));
        Assert.Throws<ArgumentException>(() => Csv.Write(new StringWriter(), TestArrays.Make(DType.Float64, [2, 2], 1), ["a", "b,c"]));
        Assert.Throws<ArgumentException>(() => ArrayFile.Write(Path.Combine(Path.GetTempPath(), "two.csv"), [TestArrays.Make(DType.Float64, [2], 1), TestArrays.Make(DType.Float64, [2], 2)]));
    }
}
