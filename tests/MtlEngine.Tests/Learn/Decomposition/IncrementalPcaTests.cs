using MtlEngine.Learn;
using MtlEngine.Tensors;
using static MtlEngine.Tests.Learn.DecompositionFixtures;
using static MtlEngine.Tests.Learn.LearnFixtures;

namespace MtlEngine.Tests.Learn;

/// <summary>IncrementalPCA against scikit-learn 1.2 (Fixtures/Learn/decomposition_fixtures.json) and its identities.</summary>
public class IncrementalPcaTests
{
    [Theory]
    [InlineData("iris")]
    [InlineData("digits")]
    [InlineData("breast_cancer")]
    public void MatchesScikitLearn(string name)
    {
        var c = Fixture("ipca_" + name);
        var x = Shipped(name);
        int k = c.GetProperty("n_components").GetInt32();
        var batch = c.GetProperty("batch_size");
        var model = new IncrementalPca(Components: k, BatchSize: batch.ValueKind == System.Text.Json.JsonValueKind.Null ? null : batch.GetInt32()).Fit(x);
        Assert.Equal(c.GetProperty("n_samples_seen").GetInt32(), model.SamplesSeen);
        Close(Array2(c.GetProperty("components")), model.Components, 1e-9, name + " components");
        Close(Vector(c.GetProperty("explained_variance")), model.ExplainedVariance, 1e-10, name + " explained variance");
        Close(Vector(c.GetProperty("explained_variance_ratio")), model.ExplainedVarianceRatio, 1e-12, name + " ratio");
        Close(Vector(c.GetProperty("singular_values")), model.SingularValues, 1e-10, name + " singular values");
        Close(Vector(c.GetProperty("mean")), model.Mean, 1e-12, name + " mean");
        Close(Vector(c.GetProperty("var")), model.Variance, 1e-11, name + " var");
        Close(c.GetProperty("noise_variance").GetDouble(), model.NoiseVariance, 1e-9, name + " noise variance");
        Close(Array2(c.GetProperty("transform_head")), model.Transform(Head(x, 10)), 1e-9, name + " transform");
    }

    [Fact]
    public void OneBatchEqualsPcaUpToTheSignConvention()
    {
        var x = Shipped("wine");
        var ipca = new IncrementalPca(Components: 5, BatchSize: 1000).Fit(x);
        var pca = new Pca(Components: 5, Solver: PcaSolver.Full).Fit(x);
        Assert.Equal(1, ipca.Batches);
        Close(pca.ExplainedVariance, ipca.ExplainedVariance, 1e-10, "variance");
        Close(pca.ExplainedVarianceRatio, ipca.ExplainedVarianceRatio, 1e-12, "ratio");
        Close(pca.NoiseVariance, ipca.NoiseVariance, 1e-9, "noise");
        Close(pca.Mean, ipca.Mean, 1e-12, "mean");
        var a = pca.Components;
        var b = ipca.Components;
        for (int j = 0; j < 5; j++)
        {
            double sign = Math.Sign(a[j, 0] * b[j, 0]);
            for (int f = 0; f < a.Dim(1); f++)
                Assert.True(Math.Abs(a[j, f] - sign * b[j, f]) < 1e-9, $"component {j}[{f}]");
        }
    }

    [Fact]
    public void PartialFitBatchByBatchEqualsFit()
    {
        var x = Shipped("digits");
        var ipca = new IncrementalPca(Components: 10, BatchSize: 300);
        var fitted = ipca.Fit(x);
        IncrementalPcaModel? model = null;
        foreach (var (start, end) in IncrementalPca.Batches(x.Dim(0), 300, 10))
        {
            var batch = MtlTensor.FromArray(x.ToArray()[(start * 64)..(end * 64)], end - start, 64);
            model = model is null ? ipca.PartialFit(batch) : model.PartialFit(batch);
        }
        Assert.Equal(fitted.Batches, model!.Batches);
        Assert.Equal(fitted.Components.ToArray(), model.Components.ToArray());
        Assert.Equal(fitted.Variance, model.Variance);
    }

    [Fact]
    public void BatchesFollowGenBatches()
    {
        Assert.Equal([(0, 3), (3, 6), (6, 7)], IncrementalPca.Batches(7, 3, 0).ToArray());
        Assert.Equal([(0, 3), (3, 7)], IncrementalPca.Batches(7, 3, 2).ToArray());
        Assert.Equal([(0, 2)], IncrementalPca.Batches(2, 3, 0).ToArray());
    }

    [Fact]
    public void MeanAndVarianceOfAllBatchesAreExact()
    {
        var x = Shipped("breast_cancer");
        var model = new IncrementalPca(Components: 3, BatchSize: 57).Fit(x);
        int n = x.Dim(0), d = x.Dim(1);
        var v = x.ToArray();
        for (int f = 0; f < d; f++)
        {
            double mean = Enumerable.Range(0, n).Average(i => v[i * d + f]);
            double variance = Enumerable.Range(0, n).Average(i => (v[i * d + f] - mean) * (v[i * d + f] - mean));
            Close(mean, model.Mean[f], 1e-12, $"mean[{f}]");
            Close(variance, model.Variance[f], 1e-10, $"var[{f}]");
        }
    }

    [Fact]
    public void BadBatchesAreRefused()
    {
        var x = Shipped("iris");
        Assert.Throws<LearnInputException>(() => new IncrementalPca(Components: 5).Fit(x));
        var model = new IncrementalPca(Components: 3).PartialFit(Head(x, 10));
        Assert.Throws<LearnInputException>(() => model.PartialFit(Head(x, 2)));
        Assert.Throws<LearnInputException>(() => model.PartialFit(MtlTensor.FromArray(new double[9], 3, 3)));
    }
}
