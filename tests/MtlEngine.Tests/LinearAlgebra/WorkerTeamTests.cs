using MtlEngine.Kernels;
using MtlEngine.LinearAlgebra;
using static MtlEngine.Tests.LinearAlgebra.LinalgTestData;

namespace MtlEngine.Tests.LinearAlgebra;

public class WorkerTeamTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EveryShareOfEveryPhaseRunsExactlyOnce(int size)
    {
        const int phases = 200, shares = 5;
        var counts = new int[phases * shares];
        WorkerTeam.Run(size, team =>
        {
            for (int p = 0; p < phases; p++)
            {
                int phase = p;
                team.ForEachShare(shares, s => Interlocked.Increment(ref counts[phase * shares + s]));
                // Every share of a phase is done when ForEachShare returns.
                for (int s = 0; s < shares; s++) Assert.Equal(1, Volatile.Read(ref counts[phase * shares + s]));
            }
        });
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void AShareFailureReachesTheCallerWithItsOwnType()
    {
        int after = 0;
        var e = Assert.Throws<InvalidOperationException>(() => WorkerTeam.Run(2, team =>
        {
            team.ForEachShare(4, s => { if (s == 3) throw new InvalidOperationException("share 3"); });
            after++;
        }));
        Assert.Equal("share 3", e.Message);
        Assert.Equal(0, after);
    }

    [Fact]
    public void ALargeCholeskyOnTheTeamEqualsOneThread()
    {
        // n = 3000: products of depth 1500 and 750 split into different row strips and SYRK halves on 1 and 2 threads;
        // a GEMM block rule on m and n gave some of an element's k-blocks another KC on 2 threads (400,451 elements
        // differed under gemm9's rule on Zen 5).
        var a = Spd(3000, 5);
        Assert.Equal(Cholesky.Factor(a, new Parallelism(1)).L.Data, Cholesky.Factor(a, new Parallelism(2)).L.Data);
    }

    [Fact]
    public void CholeskyOnTheTeamEqualsOneThreadAndKeepsItsErrorType()
    {
        // n = 700: the two top recursion levels split over the team.
        var a = Spd(700, 12);
        var one = Cholesky.Factor(a, new Parallelism(1)).L;
        Assert.Equal(one.Data, Cholesky.Factor(a, new Parallelism(2)).L.Data);
        Assert.Equal(one.Data, Cholesky.Factor(a, new Parallelism(3)).L.Data);
        var bad = a.Clone();
        bad[457, 457] = -1;
        var e = Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.Factor(bad, new Parallelism(2)));
        Assert.Equal(457, e.PivotIndex);
    }
}
