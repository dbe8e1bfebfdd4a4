using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;

namespace MtlEngine.Tests.MultiTask.Aggregation;

/// <summary>The vectorized finiteness check of a Jacobian against the element-by-element one.</summary>
public class JacobianCheckTests
{
    [Fact]
    public void AllFiniteAgreesWithTheElementwiseCheckAtEveryPositionAndLength()
    {
        foreach (int length in new[] { 0, 1, 3, 7, 8, 9, 17, 33 })
        {
            var values = Enumerable.Range(0, length).Select(i => Math.Sin(i) * Math.Pow(10, 300 * Math.Cos(i))).ToArray();
            Assert.Equal(values.All(double.IsFinite), GradientAggregator.AllFinite(values));
            Assert.True(GradientAggregator.AllFinite(values));
            for (int at = 0; at < length; at++)
                foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
                {
                    var copy = (double[])values.Clone();
                    copy[at] = bad;
                    Assert.False(GradientAggregator.AllFinite(copy), $"length {length}, {bad} at {at}");
                }
        }
        Assert.True(GradientAggregator.AllFinite([double.MaxValue, -double.MaxValue, double.Epsilon, -0.0]));
    }

    [Fact]
    public void AnAggregatorNamesTheFirstNonFiniteEntryOfALongJacobian()
    {
        var j = new DenseMatrix(2, 10_001);
        for (int i = 0; i < j.Data.Length; i++) j.Data[i] = Math.Cos(i);
        j[1, 9_999] = double.PositiveInfinity;
        j[1, 10_000] = double.NaN;
        var error = Assert.Throws<ArgumentException>(() => new MeanAggregator().Aggregate(j));
        Assert.Contains("at (1, 9999)", error.Message);
    }
}
