using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using static MtlEngine.Tests.MultiTask.AggregationTestData;

namespace MtlEngine.Tests.MultiTask.Aggregation;

/// <summary>CAGrad's search on the T × T Gramian against its twin, the same search in parameter space.</summary>
public class CaGradGramianTests
{
    private static IEnumerable<(string Name, DenseMatrix J)> AllCases()
    {
        foreach (var c in Cases()) yield return c;
        for (int seed = 0; seed < 60; seed++)
        {
            int t = 2 + seed % 7;
            var j = Gaussian(t, 40, 900 + seed);
            if (seed % 3 == 1) // nearly agreeing: a common part plus noise
                for (int i = 0; i < t; i++)
                    for (int k = 0; k < 40; k++) j[i, k] = j[0, k] + 0.2 * j[i, k];
            if (seed % 3 == 2) // one gradient 10⁵ times the others
                for (int k = 0; k < 40; k++) j[t - 1, k] *= 1e5;
            yield return ($"random {seed} T={t}", j);
        }
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void TheGramianSearchGivesTheAnswerOfTheSearchInParameterSpace(double c)
    {
        var aggregator = new CaGradAggregator(c);
        foreach (var (name, j) in AllCases())
        {
            var fast = aggregator.Aggregate(j);
            var textbook = aggregator.AggregateTextbook(j);
            double scale = MaxAbs(textbook.Direction);
            for (int k = 0; k < j.Columns; k++)
                Assert.True(Math.Abs(fast.Direction[k] - textbook.Direction[k]) <= 1e-12 * scale,
                    $"{name}, c = {c}: D[{k}] = {fast.Direction[k]}, the parameter-space search gives {textbook.Direction[k]}");
            double weightScale = MaxAbs(textbook.Weights!);
            for (int i = 0; i < j.Rows; i++)
                Assert.True(Math.Abs(fast.Weights![i] - textbook.Weights![i]) <= 1e-12 * weightScale,
                    $"{name}, c = {c}: W[{i}] = {fast.Weights[i]}, the parameter-space search gives {textbook.Weights![i]}");
        }
    }
}
