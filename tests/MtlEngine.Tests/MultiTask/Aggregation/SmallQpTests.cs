using MtlEngine.LinearAlgebra;
using MtlEngine.MultiTask.Aggregation;
using static MtlEngine.Tests.MultiTask.AggregationTestData;

namespace MtlEngine.Tests.MultiTask.Aggregation;

/// <summary>The active-set QP solver against its textbook twin (enumeration of faces) and against its own KKT conditions.</summary>
public class SmallQpTests
{
    /// <summary>
    /// H = B·Bᵀ with B n × r (rank r ≤ n) of unit rows: a unit Gramian, as the aggregators pass (the spread of the task
    /// norms goes into a and c). Every other instance duplicates row 0 into row n − 1.
    /// </summary>
    private static DenseMatrix Psd(int n, int r, int seed)
    {
        var b = Gaussian(n, r, seed);
        if (seed % 2 == 1 && n > 1) b.Row(0).CopyTo(b.Row(n - 1));
        return Gramian.Normalize(Gramian.Compute(b)).Unit;
    }

    private static void AssertKkt(DenseMatrix h, double[] c, double[]? a, SmallQpSolution solution, string what, double tolerance = 1e-10)
    {
        int n = c.Length;
        var x = solution.X;
        var g = new double[n];
        double scale = MaxAbs(c);
        for (int i = 0; i < n; i++)
        {
            g[i] = c[i];
            for (int j = 0; j < n; j++) { g[i] += h[i, j] * x[j]; scale = Math.Max(scale, Math.Abs(h[i, j] * x[j])); }
        }
        double nu = solution.EqualityMultiplier;
        if (a is not null) scale = Math.Max(scale, MaxAbs(a) * Math.Abs(nu));
        scale = Math.Max(scale, 1e-300);
        for (int i = 0; i < n; i++)
        {
            Assert.True(x[i] >= 0, $"{what}: x[{i}] = {x[i]}");
            double mu = g[i] - (a is null ? 0 : nu * a[i]);
            Assert.True(mu >= -tolerance * scale, $"{what}: multiplier {i} = {mu} (scale {scale})");
            Assert.True(Math.Abs(mu) * x[i] <= tolerance * scale * MaxAbs(x), $"{what}: complementarity {i}: μ = {mu}, x = {x[i]}");
        }
        if (a is not null)
        {
            double ax = 0;
            for (int i = 0; i < n; i++) ax += a[i] * x[i];
            Assert.True(Math.Abs(ax - 1) <= tolerance / 100, $"{what}: aᵀx = {ax}");
        }
    }

    public static TheoryData<int, int, double, bool> Shapes()
    {
        var data = new TheoryData<int, int, double, bool>();
        foreach (int n in new[] { 1, 2, 3, 5, 8 })
            foreach (int r in new[] { 1, n / 2 + 1, n }.Distinct())
                foreach (double spread in new[] { 0.0, 3.0 })
                    foreach (bool equality in new[] { true, false })
                        data.Add(n, r, spread, equality);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ActiveSetMatchesEnumerationAndMeetsKkt(int n, int r, double spread, bool equality)
    {
        for (int seed = 0; seed < (n >= 8 ? 2 : 4); seed++)
        {
            var h = Psd(n, r, 1000 * n + 10 * r + seed);
            var random = new Random(seed);
            double hScale = MaxAbs(h.Data);
            var c = Enumerable.Range(0, n).Select(_ => Normal(random) * Math.Pow(10, spread * (2 * random.NextDouble() - 1))).ToArray();
            if (!equality)
            {
                // Bounded below on x ≥ 0 without the equality: c in the range of H, as in the dual-cone projections (c = H·eᵢ).
                var e = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
                for (int i = 0; i < n; i++) { c[i] = 0; for (int j = 0; j < n; j++) c[i] += h[i, j] * (e[j] - 0.5); }
            }
            double[]? a = equality ? Enumerable.Range(0, n).Select(_ => Math.Pow(10, spread * (2 * random.NextDouble() - 1))).ToArray() : null;
            var fast = SmallQp.Solve(h, c, a);
            var textbook = SmallQpTextbook.Solve(h, c, a);
            string what = $"n={n} r={r} spread={spread} equality={equality} seed={seed}";
            AssertKkt(h, c, a, fast, what);
            AssertKkt(h, c, a, textbook, what + " (textbook)", 1e-8);
            double qScale = Math.Max(Math.Abs(textbook.Objective), hScale * MaxAbs(textbook.X) * MaxAbs(textbook.X) + MaxAbs(c) * MaxAbs(textbook.X));
            Assert.True(Math.Abs(fast.Objective - textbook.Objective) <= 1e-9 * qScale, $"{what}: q {fast.Objective:R} vs {textbook.Objective:R}");
            // The minimizer's image under H is unique (q is strictly convex along range(H)).
            var hx = Times(h, fast.X);
            var hxTextbook = Times(h, textbook.X);
            double hxScale = Math.Max(MaxAbs(hxTextbook), 1e-300) + MaxAbs(c);
            for (int i = 0; i < n; i++)
                Assert.True(Math.Abs(hx[i] - hxTextbook[i]) <= 1e-8 * hxScale, $"{what}: (Hx)[{i}] {hx[i]:R} vs {hxTextbook[i]:R}");
        }
    }

    [Fact]
    public void ASingularHWithADescentRayOnTheFaceStopsAtTheBound()
    {
        // H = 0 (a linear program over the simplex): the minimizer is the vertex of least cᵢ/aᵢ.
        var h = new DenseMatrix(3, 3);
        var solution = SmallQp.Solve(h, [3, -1, 2], [1, 1, 1]);
        Assert.Equal([0, 1, 0], solution.X);
        Assert.Equal(-1, solution.EqualityMultiplier, 12);
    }

    [Fact]
    public void AnUnboundedProblemIsReported()
    {
        var h = new DenseMatrix(2, 2);
        Assert.Throws<InvalidOperationException>(() => SmallQp.Solve(h, [-1, 0]));
    }

    [Fact]
    public void BadInputsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => SmallQp.Solve(new DenseMatrix(2, 3), [0, 0]));
        Assert.Throws<ArgumentException>(() => SmallQp.Solve(DenseMatrix.Identity(2), [0, 0], [1, 0]));
        Assert.Throws<ArgumentException>(() => SmallQp.Solve(DenseMatrix.Identity(2), [double.NaN, 0]));
    }
}
