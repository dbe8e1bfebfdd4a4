using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

/// <summary>
/// Bisection on Sturm counts (the top-k eigenvalues) held against its twin, implicit QL on all eigenvalues, and the pooled
/// default path held against an explicit workspace and against itself (no state leaks between calls).
/// </summary>
public class EigenBisectionTests
{
    private static double Eps => Math.ScaleB(1.0, -52);

    /// <summary>Named tridiagonals (d, e) that stress bisection: clusters, splits, grading, extreme scales.</summary>
    public static IEnumerable<object[]> Tridiagonals()
    {
        foreach (int n in new[] { 1, 2, 5, 64, 257 })
            yield return new object[] { $"random {n}", n, 0 };
        yield return new object[] { "Wilkinson W21+", 21, 1 };
        yield return new object[] { "Wilkinson W101+", 101, 1 };
        yield return new object[] { "zero", 40, 2 };
        yield return new object[] { "identity (40-fold)", 40, 3 };
        yield return new object[] { "graded 2^-i", 60, 4 };
        yield return new object[] { "split (e = 0 every 7th)", 50, 5 };
        yield return new object[] { "scaled 1e150", 30, 6 };
        yield return new object[] { "scaled 1e-150", 30, 7 };
        yield return new object[] { "glued Wilkinson blocks", 63, 8 };
    }

    private static (double[] D, double[] E) Make(int n, int kind)
    {
        var rng = new Random(100 + n + 13 * kind);
        var d = new double[n];
        var e = new double[n];
        for (int i = 0; i < n; i++)
        {
            switch (kind)
            {
                case 0: d[i] = rng.NextDouble() * 2 - 1; e[i] = rng.NextDouble() * 2 - 1; break;
                case 1: d[i] = Math.Abs(n / 2 - i); e[i] = 1; break;
                case 2: break;
                case 3: d[i] = 1; break;
                case 4: d[i] = Math.Pow(2, -i); e[i] = Math.Pow(2, -i - 0.5); break;
                case 5: d[i] = rng.NextDouble(); e[i] = i % 7 == 6 ? 0 : rng.NextDouble(); break;
                case 6: d[i] = 1e150 * (rng.NextDouble() * 2 - 1); e[i] = 1e150 * rng.NextDouble(); break;
                case 7: d[i] = 1e-150 * (rng.NextDouble() * 2 - 1); e[i] = 1e-150 * rng.NextDouble(); break;
                case 8: d[i] = Math.Abs(10 - i % 21); e[i] = i % 21 == 20 ? 1e-14 : 1; break;
            }
        }
        e[n - 1] = 0;
        return (d, e);
    }

    [Theory]
    [MemberData(nameof(Tridiagonals))]
    public void BisectionMatchesQl(string what, int n, int kind)
    {
        var (d, e) = Make(n, kind);
        var ql = (double[])d.Clone();
        SymmetricEigen.TridiagonalQl(ql, (double[])e.Clone(), null, default);
        Array.Sort(ql);
        double norm = 0;
        for (int i = 0; i < n; i++) norm = Math.Max(norm, Math.Abs(d[i]) + Math.Abs(e[i]) + (i > 0 ? Math.Abs(e[i - 1]) : 0));
        double tolerance = 4 * n * Eps * norm + 1e-300; // the zero matrix: values within pivmin of 0
        // All values, then windows at both ends and in the middle.
        var all = TridiagonalBisection.Values(d, e, 0, n);
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(all[i] - ql[i]) <= tolerance, $"{what}: λ{i} {all[i]:R} vs QL {ql[i]:R}");
        foreach (var (first, count) in new[] { (0, Math.Min(3, n)), (n - Math.Min(3, n), Math.Min(3, n)), (n / 3, n / 3), (n / 2, 0) })
        {
            var window = TridiagonalBisection.Values(d, e, first, count);
            Assert.Equal(count, window.Length);
            for (int j = 0; j < count; j++)
                Assert.True(Math.Abs(window[j] - ql[first + j]) <= tolerance, $"{what}: window {first}+{j} {window[j]:R} vs QL {ql[first + j]:R}");
        }
        // The input is not modified.
        Assert.Equal(Make(n, kind).D, d);
    }

    [Theory]
    [MemberData(nameof(Tridiagonals))]
    public void VectorSturmCountsEqualScalar(string what, int n, int kind)
    {
        var (d, e) = Make(n, kind);
        var e2 = new double[n];
        double norm = 1e-300;
        for (int i = 0; i < n; i++) { e2[i] = e[i] * e[i]; norm = Math.Max(norm, Math.Abs(d[i]) + 2 * Math.Abs(e[i])); }
        double pivmin = Math.ScaleB(1.0, -1022) * Math.Max(1, e2.Max());
        var rng = new Random(n + kind);
        foreach (int m in new[] { 1, 7, 8, 9, 31, 200 })
        {
            // Shifts across the spectrum, some exactly on diagonal entries (zero pivots).
            var x = new double[m];
            for (int t = 0; t < m; t++) x[t] = t % 5 == 0 ? d[t % n] : (rng.NextDouble() * 2.2 - 1.1) * norm;
            var vector = new int[m];
            var scalar = new int[m];
            TridiagonalBisection.SturmCounts(d, e2, pivmin, x, vector);
            TridiagonalBisection.SturmCountsScalar(d, e2, pivmin, x, scalar);
            Assert.True(scalar.SequenceEqual(vector), $"{what}, {m} shifts");
            Assert.All(scalar, c => Assert.InRange(c, 0, n));
        }
    }

    [Fact]
    public void BisectionRejectsRanksOutsideTheMatrix()
    {
        var (d, e) = Make(5, 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => TridiagonalBisection.Values(d, e, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => TridiagonalBisection.Values(d, e, -1, 1));
        Assert.Empty(TridiagonalBisection.Values(d, e, 5, 0));
    }

    [Theory]
    [InlineData(300, 1)]
    [InlineData(300, 10)]
    [InlineData(300, 75)]
    public void TopKByBisectionMatchesFullSolve(int n, int k)
    {
        // Half of the spectrum in tight clusters, so that inverse iteration has to orthogonalize.
        var values = new double[n];
        for (int i = 0; i < n; i++) values[i] = i % 2 == 0 ? Math.Floor(i / 20.0) + 1e-11 * i : Math.Sin(i);
        var a = WithEigenvalues(values, 55 + k);
        var full = SymmetricEigen.Compute(a);
        var top = SymmetricEigen.Largest(a, k);
        var bottom = SymmetricEigen.Smallest(a, k);
        double scale = a.FrobeniusNorm();
        for (int j = 0; j < k; j++)
        {
            Assert.True(Math.Abs(top.Values[j] - full.Values[n - k + j]) <= 10 * n * Eps * scale, $"largest λ{j}");
            Assert.True(Math.Abs(bottom.Values[j] - full.Values[j]) <= 10 * n * Eps * scale, $"smallest λ{j}");
        }
        AssertSmall(OrthogonalityError(top.Vectors!), 8 * n * Eps, "largest VᵀV=I");
        AssertSmall(OrthogonalityError(bottom.Vectors!), 8 * n * Eps, "smallest VᵀV=I");
        foreach (var (eig, what) in new[] { (top, "largest"), (bottom, "smallest") })
        {
            var av = DenseMatrix.Multiply(a, eig.Vectors!);
            double err = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++) err = Math.Max(err, Math.Abs(av[i, j] - eig.Vectors![i, j] * eig.Values[j]));
            AssertSmall(err / scale, 8 * n * Eps, $"{what}: AV=VΛ");
        }
    }

    [Fact]
    public void PooledCallsGiveTheSameResultAsAWorkspaceAndAsEachOther()
    {
        // Repeated default calls of different sizes reuse pooled buffers that hold the previous call's numbers: the results
        // must not depend on them (bitwise), nor differ from a call with an explicit workspace.
        var reference = new Dictionary<int, SymmetricEigen>();
        var workspace = new SymmetricEigenWorkspace();
        foreach (int n in new[] { 140, 60, 140, 97, 60, 1, 140 })
        {
            var a = Symmetric(n, 900 + n);
            var pooled = SymmetricEigen.Compute(a, true, new Parallelism(2));
            var explicitWorkspace = SymmetricEigen.Compute(a, workspace, true, new Parallelism(2));
            Assert.Equal(explicitWorkspace.Values, pooled.Values);
            Assert.Equal(explicitWorkspace.Vectors!.Data, pooled.Vectors!.Data);
            if (reference.TryGetValue(n, out var first))
            {
                Assert.Equal(first.Values, pooled.Values);
                Assert.Equal(first.Vectors!.Data, pooled.Vectors!.Data);
            }
            else reference[n] = pooled;
            var top = SymmetricEigen.Largest(a, Math.Max(1, n / 8));
            var again = SymmetricEigen.Largest(a, Math.Max(1, n / 8));
            Assert.Equal(top.Values, again.Values);
            Assert.Equal(top.Vectors!.Data, again.Vectors!.Data);
        }
    }
}
