using MtlEngine.LinearAlgebra;

namespace MtlEngine.Tests.MultiTask;

/// <summary>Seeded random Jacobians for the aggregator tests: conflicting, agreeing, rank-deficient, with norms 10⁶ apart.</summary>
internal static class AggregationTestData
{
    public static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public static DenseMatrix Gaussian(int t, int p, int seed)
    {
        var random = new Random(seed);
        var j = new DenseMatrix(t, p);
        for (int i = 0; i < j.Data.Length; i++) j.Data[i] = Normal(random);
        return j;
    }

    /// <summary>A mix of the hard cases: every kind for T = 1..8.</summary>
    public static IEnumerable<(string Name, DenseMatrix J)> Cases()
    {
        for (int t = 1; t <= 8; t++)
        {
            yield return ($"gaussian T={t}", Gaussian(t, t + 3, 100 + t));
            var agreeing = Gaussian(t, 6, 200 + t);
            var base_ = Gaussian(1, 6, 300 + t);
            for (int i = 0; i < t; i++)
                for (int k = 0; k < 6; k++) agreeing[i, k] = base_[0, k] + 0.3 * agreeing[i, k];
            yield return ($"agreeing T={t}", agreeing);
            var scaled = Gaussian(t, t + 2, 400 + t);
            for (int i = 0; i < t; i++)
            {
                double s = Math.Pow(10, t == 1 ? 3 : -3 + 6.0 * i / (t - 1));
                for (int k = 0; k < scaled.Columns; k++) scaled[i, k] *= s;
            }
            yield return ($"norms 1e6 apart T={t}", scaled);
            if (t >= 2)
            {
                var duplicate = Gaussian(t, t + 1, 500 + t);
                for (int k = 0; k < duplicate.Columns; k++) duplicate[t - 1, k] = duplicate[0, k];
                yield return ($"duplicate rows T={t}", duplicate);
                yield return ($"T > P T={t}", Gaussian(t, Math.Max(1, t / 2), 600 + t));
            }
        }
    }

    public static double MaxAbs(ReadOnlySpan<double> v)
    {
        double m = 0;
        foreach (double x in v) m = Math.Max(m, Math.Abs(x));
        return m;
    }

    public static double[] Times(DenseMatrix j, double[] d)
    {
        var r = new double[j.Rows];
        for (int i = 0; i < j.Rows; i++)
            for (int k = 0; k < j.Columns; k++) r[i] += j[i, k] * d[k];
        return r;
    }
}
