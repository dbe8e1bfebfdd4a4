using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Tensors;
using MtlEngine.Tests.Cli;

namespace MtlEngine.Tests.Learn;

/// <summary>Row-block readers (.npy memory-mapped, CSV) and the out-of-core fits against the in-memory ones.</summary>
public sealed class OutOfCoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-ooc-" + Guid.NewGuid().ToString("N"));

    public OutOfCoreTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Npy(string name, NdArray array)
    {
        string path = Path.Combine(_dir, name);
        MtlEngine.Data.Npy.Write(path, array);
        return path;
    }

    private static double[] ReadAll(IRowBlockSource source, int blockRows)
    {
        var all = new List<double>();
        var buffer = new double[blockRows * source.Columns];
        int m;
        while ((m = source.Read(buffer)) > 0) all.AddRange(buffer.AsSpan(0, m * source.Columns).ToArray());
        return [.. all];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(1000)]
    public void NpyRowReaderGivesTheArrayInAnyBlockSize(int blockRows)
    {
        var values = Enumerable.Range(0, 53 * 3).Select(i => Math.Sin(i) * 100).ToArray();
        using (var f8 = new NpyRowReader(Npy("x8.npy", NdArray.Create("", values, 53, 3))))
        {
            Assert.Equal((53L, 3, false), (f8.Rows, f8.Columns, f8.IsVector));
            Assert.Equal(values, ReadAll(f8, blockRows));
            f8.Reset();
            Assert.Equal(values, ReadAll(f8, blockRows)); // a second pass
        }
        var singles = values.Select(v => (float)v).ToArray();
        using (var f4 = new NpyRowReader(Npy("x4.npy", NdArray.Create("", singles, 53, 3))))
            Assert.Equal(singles.Select(v => (double)v).ToArray(), ReadAll(f4, blockRows));
        var ints = Enumerable.Range(0, 53).Select(i => (long)(i * i - 40)).ToArray();
        using (var i8 = new NpyRowReader(Npy("y.npy", NdArray.Create("", ints, 53))))
        {
            Assert.True(i8.IsVector);
            Assert.Equal(ints.Select(v => (double)v).ToArray(), ReadAll(i8, blockRows));
        }
    }

    [Fact]
    public void NpyRowReaderRefusesWhatItCannotStream()
    {
        string cube = Npy("cube.npy", NdArray.Create("", new double[8], 2, 2, 2));
        Assert.Contains("shape", Assert.Throws<DataFormatException>(() => new NpyRowReader(cube)).Message);
        string good = Npy("good.npy", NdArray.Create("", new double[6], 3, 2));
        string cut = Path.Combine(_dir, "cut.npy");
        File.WriteAllBytes(cut, File.ReadAllBytes(good)[..^8]);
        Assert.Contains("needs 48 bytes", Assert.Throws<DataFormatException>(() => new NpyRowReader(cut)).Message);
    }

    [Fact]
    public void CsvRowReaderReadsBlocksWithAHeaderAndComments()
    {
        string path = Path.Combine(_dir, "x.csv");
        File.WriteAllText(path, "a,b\n# comment\n1,2\n\n3.5,-4e2\nnan,inf\n5,6\n");
        using var csv = new CsvRowReader(path);
        Assert.Equal(2, csv.Columns);
        Assert.Equal(["a", "b"], csv.ColumnNames!);
        var all = ReadAll(csv, 3);
        Assert.Equal([1, 2, 3.5, -400, double.NaN, double.PositiveInfinity, 5, 6], all);
        Assert.Equal(4, csv.Rows);
        csv.Reset();
        Assert.Equal(all, ReadAll(csv, 1));
        File.WriteAllText(path, "1,2\n3\n");
        using var ragged = new CsvRowReader(path);
        Assert.Contains("line 2", Assert.Throws<DataFormatException>(() => ReadAll(ragged, 5)).Message);
    }

    [Theory]
    [InlineData(3, true)]
    [InlineData(50, false)]
    public void StreamedRidgeAndPcaEqualTheInMemoryFits(int blockRows, bool weighted)
    {
        var rng = new Random(21);
        var (x, y, w) = StatisticsData.Regression(rng, 97, 4, 2, offset: 20);
        string xPath = Npy("x.npy", NdArray.FromTensor(x)), yPath = Npy("y.npy", NdArray.FromTensor(y)), wPath = Npy("w.npy", NdArray.Create("", w, w.Length));
        using var xs = RowBlockSource.Open(xPath);
        using var ys = RowBlockSource.Open(yPath);
        using var ws = RowBlockSource.Open(wPath);
        var ridge = new RidgeStatistics(4, 2);
        OutOfCore.Accumulate(ridge, xs, ys, weighted ? ws : null, blockRows);
        var expected = new Ridge(Alpha: 0.7).Fit(x, y, weighted ? w : null);
        var actual = ridge.Fit(new Ridge(Alpha: 0.7));
        StatisticsData.Close(expected.Coefficients.ToArray(), actual.Coefficients.ToArray(), 1e-10, "ridge");
        StatisticsData.Close(expected.Intercept, actual.Intercept, 1e-10, "ridge intercept");
        // the budget route (a budget of 9 MiB: the statistics' scratch and a few thousand rows)
        var budgeted = OutOfCore.RidgeStatistics(xs, ys, weighted ? ws : null, 9L << 20).Fit(new Ridge(Alpha: 0.7));
        StatisticsData.Close(expected.Coefficients.ToArray(), budgeted.Coefficients.ToArray(), 1e-10, "ridge (budget)");
        var pca = OutOfCore.PcaStatistics(xs, 9L << 20).Fit(new Pca(Components: 2));
        var pcaExpected = new Pca(Components: 2, Solver: PcaSolver.Covariance).Fit(x);
        StatisticsData.Close(pcaExpected.ExplainedVariance, pca.ExplainedVariance, 1e-10, "pca variance");
        Assert.Throws<LearnInputException>(() => OutOfCore.BlockRows(1 << 20, 4, 36));
        Assert.True(OutOfCore.BlockRows(16L << 20, 4, 36) > OutOfCore.BlockRows(9L << 20, 4, 36));
    }

    [Fact]
    public void MismatchedRowsAreRefusedWithTheFileNames()
    {
        string xPath = Npy("x.npy", NdArray.Create("", new double[20], 10, 2)), yPath = Npy("y.npy", NdArray.Create("", new double[9], 9));
        using var xs = RowBlockSource.Open(xPath);
        using var ys = RowBlockSource.Open(yPath);
        var e = Assert.Throws<LearnInputException>(() => OutOfCore.Accumulate(new RidgeStatistics(2, 1, true), xs, ys, null, 4));
        Assert.Contains("y.npy", e.Message);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void StreamedLogisticRegressionEqualsTheInMemoryFit(int classes)
    {
        var rng = new Random(22);
        int n = 150, d = 3;
        var xv = Enumerable.Range(0, n * d).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        var y = Enumerable.Range(0, n).Select(i => (int)Math.Floor(Math.Abs(xv[i * d] + 0.5 * xv[i * d + 1] + rng.NextDouble())) % classes + 10).ToArray();
        var w = Enumerable.Range(0, n).Select(_ => 0.5 + rng.NextDouble()).ToArray();
        var options = new LogisticRegression { C = 2, Tolerance = 1e-10, MaxIterations = 500 };
        var expected = options.Fit(MtlTensor.FromArray(xv, n, d), y, w);
        using var xs = RowBlockSource.Open(Npy("x.npy", NdArray.Create("", xv, n, d)));
        // a budget just above the fixed scratch: blocks of about 50 rows, so every evaluation sums several blocks
        var actual = OutOfCore.LogisticRegression(options, xs, y, w, (8L << 20) + 16 * 8 * 40);
        Assert.Equal(expected.Classes, actual.Classes);
        StatisticsData.Close(expected.Coefficients.ToArray(), actual.Coefficients.ToArray(), 1e-6, "coefficients");
        StatisticsData.Close(expected.Intercept, actual.Intercept, 1e-6, "intercept");
        Assert.True(actual.Report!.Converged);
    }

    [Fact]
    public void CliFitRidgeWithAMemoryBudgetSavesTheInMemoryModel()
    {
        var rng = new Random(23);
        var (x, y, _) = StatisticsData.Regression(rng, 80, 3, 1, offset: 5);
        string xPath = Npy("x.npy", NdArray.FromTensor(x)), yPath = Npy("y.npy", NdArray.FromTensor(y));
        string streamed = Path.Combine(_dir, "s.safetensors"), whole = Path.Combine(_dir, "m.safetensors");
        var (code, output, _) = CliRunner.Mtl("fit", "ridge", "--x", xPath, "--y", yPath, "--alpha", "2", "--memory-budget", "9MB", "--save", streamed);
        Assert.Equal(0, code);
        Assert.Contains("streamed in row blocks within 9 MiB", output);
        Assert.Equal(0, CliRunner.Mtl("fit", "ridge", "--x", xPath, "--y", yPath, "--alpha", "2", "--save", whole).Code);
        var a = RidgeModel.Load(streamed);
        var b = RidgeModel.Load(whole);
        StatisticsData.Close(b.Coefficients.ToArray(), a.Coefficients.ToArray(), 1e-10, "cli ridge");
        Assert.Equal(b.VectorTarget, a.VectorTarget);
        var (bad, _, error) = CliRunner.Mtl("fit", "ridge", "--x", xPath, "--y", yPath, "--memory-budget", "lots", "--save", streamed);
        Assert.Equal(2, bad);
        Assert.Contains("--memory-budget", error);
        var (pcaCode, pcaOut, _) = CliRunner.Mtl("fit", "pca", "--x", xPath, "--components", "2", "--memory-budget", "9MB", "--save", Path.Combine(_dir, "p.safetensors"));
        Assert.Equal(0, pcaCode);
        Assert.Contains("streamed", pcaOut);
        // CCA streamed against CCA in memory, and a CSV X (always read in blocks)
        string y2 = Npy("y2.npy", NdArray.Create("", Enumerable.Range(0, 160).Select(i => Math.Sin(i * 0.7) + (i % 2) * x.ToArray()[i / 2 * 3]).ToArray(), 80, 2));
        string ccaStreamed = Path.Combine(_dir, "c1.safetensors"), ccaWhole = Path.Combine(_dir, "c2.safetensors");
        Assert.Equal(0, CliRunner.Mtl("fit", "cca", "--x", xPath, "--y", y2, "--components", "2", "--memory-budget", "9MB", "--save", ccaStreamed).Code);
        Assert.Equal(0, CliRunner.Mtl("fit", "cca", "--x", xPath, "--y", y2, "--components", "2", "--save", ccaWhole).Code);
        StatisticsData.Close(CcaModel.Load(ccaWhole).XRotations.ToArray(), CcaModel.Load(ccaStreamed).XRotations.ToArray(), 1e-9, "cli cca");
        string csv = Path.Combine(_dir, "x.csv");
        MtlEngine.Data.Csv.Write(csv, NdArray.FromTensor(x));
        var (csvCode, csvOut, _) = CliRunner.Mtl("fit", "ridge", "--x", csv, "--y", yPath, "--alpha", "2", "--save", streamed);
        Assert.Equal(0, csvCode);
        Assert.Contains("within 256 MiB", csvOut);
        StatisticsData.Close(b.Coefficients.ToArray(), RidgeModel.Load(streamed).Coefficients.ToArray(), 1e-10, "cli ridge from csv");
        // logistic regression: X streamed, one pass per evaluation
        string labels = Npy("labels.npy", NdArray.Create("", y.ToArray().Select(v => v > y.ToArray().Average() ? 1L : 0L).ToArray(), 80));
        string l1 = Path.Combine(_dir, "l1.safetensors"), l2 = Path.Combine(_dir, "l2.safetensors");
        var (logCode, logOut, _) = CliRunner.Mtl("fit", "logreg", "--x", xPath, "--y", labels, "--tol", "1e-10", "--max-iter", "500", "--memory-budget", "9MB", "--save", l1);
        Assert.Equal(0, logCode);
        Assert.Contains("streamed", logOut);
        Assert.Equal(0, CliRunner.Mtl("fit", "logreg", "--x", xPath, "--y", labels, "--tol", "1e-10", "--max-iter", "500", "--save", l2).Code);
        StatisticsData.Close(LogisticRegressionModel.Load(l2).Coefficients.ToArray(), LogisticRegressionModel.Load(l1).Coefficients.ToArray(), 1e-6, "cli logreg");
    }
}
