using MtlEngine.Learn;
using MtlEngine.Learn.ModelSelection;
using MtlEngine.Learn.Preprocessing;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Learn.Preprocessing;

/// <summary>Scalers, imputer, encoder, splits and class balance against scikit-learn (Fixtures/Learn) and identities.</summary>
public class PreprocessingTests
{
    private static MtlTensor<double> Head(MtlTensor<double> x, int rows) => MtlTensor.FromArray(x.ToArray()[..(rows * x.Dim(1))], rows, x.Dim(1));

    [Fact]
    public void StandardScalerMatchesScikitLearnAndLeavesConstantFeatureUnscaled()
    {
        var c = Case("scalers");
        var x = Matrix(c.GetProperty("x"));
        var model = new StandardScaler().Fit(x);
        Close(Vector(c.GetProperty("standard_mean")), model.Mean, 1e-13, "mean");
        Close(Vector(c.GetProperty("standard_var")), model.Variance, 1e-12, "var");
        Close(Vector(c.GetProperty("standard_scale")), model.Scale, 1e-13, "scale");
        Assert.Equal(1.0, model.Scale[^1]); // the appended constant column
        Close(Array2(c.GetProperty("standard_transform_head")), model.Transform(Head(x, 6)), 1e-12, "transform");
        var noMean = new StandardScaler(WithMean: false).Fit(x);
        Close(Array2(c.GetProperty("standard_nomean_transform_head")), noMean.Transform(Head(x, 6)), 1e-12, "transform without mean");
        Close(x.ToArray(), model.InverseTransform(model.Transform(x)).ToArray(), 1e-13, "round trip");
    }

    [Fact]
    public void MinMaxScalerMatchesScikitLearn()
    {
        var c = Case("scalers");
        var x = Matrix(c.GetProperty("x"));
        var model = new MinMaxScaler().Fit(x);
        Close(Vector(c.GetProperty("minmax_min")), model.DataMin, 1e-15, "data min");
        Close(Vector(c.GetProperty("minmax_max")), model.DataMax, 1e-15, "data max");
        Close(Array2(c.GetProperty("minmax_transform_head")), model.Transform(Head(x, 6)), 1e-13, "transform");
        var ranged = new MinMaxScaler(-1, 2).Fit(x);
        Close(Array2(c.GetProperty("minmax_range_transform_head")), ranged.Transform(Head(x, 6)), 1e-13, "transform to (-1, 2)");
        Close(x.ToArray(), ranged.InverseTransform(ranged.Transform(x)).ToArray(), 1e-12, "round trip");
        Assert.Throws<LearnInputException>(() => new MinMaxScaler(1, 1).Fit(x));
    }

    [Theory]
    [InlineData(ImputeStrategy.Mean, "mean")]
    [InlineData(ImputeStrategy.Median, "median")]
    [InlineData(ImputeStrategy.MostFrequent, "most_frequent")]
    public void SimpleImputerMatchesScikitLearn(ImputeStrategy strategy, string key)
    {
        var c = Case("imputer");
        var x = Matrix(c.GetProperty("x"));
        Assert.Contains(x.ToArray(), double.IsNaN);
        var model = new SimpleImputer(strategy).Fit(x);
        Close(Vector(c.GetProperty(key + "_statistics")), model.Statistics, 1e-14, key);
        Close(Array2(c.GetProperty(key + "_transform")), model.Transform(x), 1e-14, key + " transform");
    }

    [Fact]
    public void SimpleImputerRefusesAnAllMissingColumn()
    {
        var x = MtlTensor.FromArray(new[,] { { 1.0, double.NaN }, { 2.0, double.NaN } });
        var e = Assert.Throws<LearnInputException>(() => new SimpleImputer().Fit(x));
        Assert.Contains("Column 1", e.Message);
    }

    [Fact]
    public void OneHotEncoderMatchesScikitLearnAndHandlesUnknowns()
    {
        var c = Case("onehot");
        var rows = Array2(c.GetProperty("x"));
        var x = new int[rows.GetLength(0), rows.GetLength(1)];
        for (int i = 0; i < x.GetLength(0); i++)
            for (int j = 0; j < x.GetLength(1); j++) x[i, j] = (int)rows[i, j];
        var model = new OneHotEncoder().Fit(x);
        var cats = c.GetProperty("categories").EnumerateArray().Select(Labels).ToArray();
        for (int j = 0; j < cats.Length; j++) Assert.Equal(cats[j], model.Categories(j));
        var encoded = model.Transform(x);
        Close(Array2(c.GetProperty("transform")), encoded, 0, "one-hot");
        Assert.Equal(x, model.InverseTransform(encoded));
        var unknown = new int[,] { { 99, x[0, 1] } };
        var e = Assert.Throws<LearnInputException>(() => model.Transform(unknown));
        Assert.Contains("99", e.Message);
        var ignoring = new OneHotEncoder(UnknownCategory.Ignore).Fit(x).Transform(unknown).ToArray();
        Assert.Equal(1.0, ignoring.Sum());
    }

    [Fact]
    public void KFoldAndStratifiedKFoldWithoutShuffleEqualScikitLearn()
    {
        var c = Case("folds");
        var y = Labels(c.GetProperty("labels"));
        var kfold = new KFold(5).Split(y.Length);
        var expected = c.GetProperty("kfold5_test").EnumerateArray().Select(Labels).ToArray();
        for (int f = 0; f < 5; f++) Assert.Equal(expected[f], kfold[f].Test);
        var strat = new StratifiedKFold(5).Split(y);
        expected = c.GetProperty("stratified5_test").EnumerateArray().Select(Labels).ToArray();
        for (int f = 0; f < 5; f++) Assert.Equal(expected[f], strat[f].Test);
    }

    [Fact]
    public void ShuffledFoldsPartitionTheSamplesAndAreSeeded()
    {
        var y = Enumerable.Range(0, 103).Select(i => i % 7 == 0 ? 1 : i % 3 == 0 ? 2 : 0).ToArray();
        foreach (var splits in new IReadOnlyList<SplitIndices>[] { new KFold(4, true, 9).Split(y.Length), new StratifiedKFold(4, true, 9).Split(y) })
        {
            Assert.Equal(Enumerable.Range(0, y.Length), splits.SelectMany(s => s.Test).Order());
            foreach (var s in splits) Assert.Equal(Enumerable.Range(0, y.Length), s.Train.Concat(s.Test).Order());
        }
        Assert.Equal(new KFold(4, true, 9).Split(50)[0].Test, new KFold(4, true, 9).Split(50)[0].Test);
        Assert.NotEqual(new KFold(4, true, 9).Split(50)[0].Test, new KFold(4, true, 10).Split(50)[0].Test);
        // Stratified: every fold holds each class within one of its share.
        foreach (var s in new StratifiedKFold(4, true, 9).Split(y))
            foreach (int cls in new[] { 0, 1, 2 })
                Assert.InRange(s.Test.Count(i => y[i] == cls), y.Count(v => v == cls) / 4, y.Count(v => v == cls) / 4 + 1);
    }

    [Fact]
    public void TrainTestSplitSizesSeedAndStratification()
    {
        var split = TrainTestSplit.Split(150, 0.25, seed: 4);
        Assert.Equal(38, split.Test.Length); // ⌈0.25·150⌉ as scikit-learn
        Assert.Equal(112, split.Train.Length);
        Assert.Empty(split.Train.Intersect(split.Test));
        Assert.Equal(split.Test, TrainTestSplit.Split(150, 0.25, seed: 4).Test);
        var y = Enumerable.Range(0, 150).Select(i => i < 100 ? 0 : i < 140 ? 1 : 2).ToArray();
        var strat = TrainTestSplit.Split(150, 0.2, seed: 1, stratify: y);
        Assert.Equal(30, strat.Test.Length);
        Assert.Equal(20, strat.Test.Count(i => y[i] == 0));
        Assert.Equal(8, strat.Test.Count(i => y[i] == 1));
        Assert.Equal(2, strat.Test.Count(i => y[i] == 2));
    }

    [Fact]
    public void BalancedClassWeightsMatchScikitLearnAndEqualizeClassTotals()
    {
        var c = Case("class_weight_wine");
        var y = Labels(c.GetProperty("labels"));
        var table = ClassWeights.Balanced(y);
        Assert.Equal(Labels(c.GetProperty("classes")), table.Classes);
        Close(Vector(c.GetProperty("weights")), table.Weights, 1e-15, "weights");
        var w = table.SampleWeights(y);
        foreach (int cls in table.Classes)
            Assert.Equal((double)y.Length / table.Classes.Length, y.Select((l, i) => l == cls ? w[i] : 0).Sum(), 10);
    }

    [Fact]
    public void ResamplingBalancesClassesAndIsSeeded()
    {
        var y = Enumerable.Range(0, 60).Select(i => i < 45 ? 0 : i < 55 ? 1 : 2).ToArray();
        var over = ClassBalancedResampling.OverSample(y, 3);
        Assert.Equal(135, over.Length);
        Assert.All(new[] { 0, 1, 2 }, cls => Assert.Equal(45, over.Count(i => y[i] == cls)));
        Assert.Equal(Enumerable.Range(0, 60), over.Distinct().Order()); // every original sample kept
        var under = ClassBalancedResampling.UnderSample(y, 3);
        Assert.Equal(15, under.Length);
        Assert.Equal(under.Length, under.Distinct().Count());
        Assert.All(new[] { 0, 1, 2 }, cls => Assert.Equal(5, under.Count(i => y[i] == cls)));
        Assert.Equal(under, ClassBalancedResampling.UnderSample(y, 3));
    }
}
