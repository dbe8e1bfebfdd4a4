using System.Text.Json;
using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using static MtlEngine.Tests.MultiTask.AggregationTestData;

namespace MtlEngine.Tests.MultiTask.Aggregation;

/// <summary>
/// Every exact aggregator against the 60-digit references that aggregator_fixture.py writes from each paper's formula
/// (Fixtures/MultiTask/aggregators.json): conflicting, agreeing, norms 10⁶ apart, duplicate rows, T &gt; P, T = 1..8.
/// </summary>
public class AggregatorFixtureTests
{
    private static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "MultiTask", "aggregators.json"))).RootElement;

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static TheoryData<string> Methods() => new("mean", "mgda", "upgrad", "cagrad", "imtl-g", "aligned-mtl");

    [Theory]
    [MemberData(nameof(Methods))]
    public void MatchesTheReference(string method)
    {
        Assert.Equal(0.5, Root.GetProperty("cagrad_c").GetDouble());
        int count = 0;
        foreach (var record in Root.GetProperty("cases").EnumerateArray())
        {
            string name = record.GetProperty("name").GetString()!;
            var rows = record.GetProperty("jacobian").EnumerateArray().Select(Doubles).ToArray();
            var j = new DenseMatrix(rows.Length, rows[0].Length, rows.SelectMany(r => r).ToArray());
            var expected = record.GetProperty("expected").GetProperty(method);
            var direction = Doubles(expected.GetProperty("direction"));
            var weights = Doubles(expected.GetProperty("weights"));
            var result = GradientAggregators.Create(method).Aggregate(j);
            double scale = Math.Max(MaxAbs(direction), 1e-4 * MaxAbs(j.Data)); // D = 0 (Pareto-stationary) is compared at J's scale
            for (int k = 0; k < direction.Length; k++)
                Assert.True(Math.Abs(result.Direction[k] - direction[k]) <= 1e-9 * scale,
                    $"{method} on {name}: D[{k}] = {result.Direction[k]:R}, reference {direction[k]:R}");
            // Weights are unique for full-rank J; for a singular G the min-norm and dual-cone problems have many optimal
            // weightings with the one direction, while IMTL-G (pinv) and Aligned-MTL define theirs uniquely.
            bool uniqueWeights = record.GetProperty("full_rank").GetBoolean() || method is "mean" or "imtl-g" or "aligned-mtl";
            Assert.NotNull(result.Weights);
            if (uniqueWeights)
            {
                double wScale = MaxAbs(weights);
                for (int i = 0; i < weights.Length; i++)
                    Assert.True(Math.Abs(result.Weights![i] - weights[i]) <= 1e-8 * wScale,
                        $"{method} on {name}: W[{i}] = {result.Weights[i]:R}, reference {weights[i]:R}");
            }
            count++;
        }
        Assert.True(count >= 15);
    }
}
