using MtlEngine.Learn;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// The statistics types follow the one parallelism rule (see <see cref="Parallelism"/>): a parallelism left out stays null
/// (all cores, the adding thread's <see cref="TensorParallelism.Current"/>), whether the statistics are built, built inside a
/// <see cref="TensorParallelism.Use"/> scope, copied or loaded; a given one is kept by a copy; and the statistics do not
/// depend on it.
/// </summary>
public sealed class StatisticsParallelismTests
{
    public static TheoryData<string> Kinds => ["ridge", "pca", "cca", "multitask_ridge"];

    /// <summary>The four statistics types behind one face: make (with a parallelism or null), read and set it, copy, reload, add.</summary>
    private sealed record Kind(
        Func<Parallelism?, object> Make, Func<object, Parallelism?> Get, Action<object, Parallelism?> Set, Func<object, object> Copy,
        Func<object, object> Reload, Action<object, MtlTensor<double>, MtlTensor<double>> Add);

    private static Kind Of(string kind) => kind switch
    {
        "ridge" => new(p => new RidgeStatistics(6, 2, parallelism: p), s => ((RidgeStatistics)s).Parallelism, (s, p) => ((RidgeStatistics)s).Parallelism = p,
            s => ((RidgeStatistics)s).Copy(), s => FitStatistics.FromBytes<RidgeStatistics>(((RidgeStatistics)s).ToBytes()),
            (s, x, y) => ((RidgeStatistics)s).Add(x, y)),
        "pca" => new(p => new PcaStatistics(6, p), s => ((PcaStatistics)s).Parallelism, (s, p) => ((PcaStatistics)s).Parallelism = p,
            s => ((PcaStatistics)s).Copy(), s => FitStatistics.FromBytes<PcaStatistics>(((PcaStatistics)s).ToBytes()),
            (s, x, _) => ((PcaStatistics)s).Add(x)),
        "cca" => new(p => new CcaStatistics(6, 2, parallelism: p), s => ((CcaStatistics)s).Parallelism, (s, p) => ((CcaStatistics)s).Parallelism = p,
            s => ((CcaStatistics)s).Copy(), s => FitStatistics.FromBytes<CcaStatistics>(((CcaStatistics)s).ToBytes()),
            (s, x, y) => ((CcaStatistics)s).Add(x, y)),
        _ => new(p => new MultiTaskRidgeStatistics(6, 2, p), s => ((MultiTaskRidgeStatistics)s).Parallelism, (s, p) => ((MultiTaskRidgeStatistics)s).Parallelism = p,
            s => ((MultiTaskRidgeStatistics)s).Copy(), s => FitStatistics.FromBytes<MultiTaskRidgeStatistics>(((MultiTaskRidgeStatistics)s).ToBytes()),
            (s, x, y) => ((MultiTaskRidgeStatistics)s).Add(1, x, Column(y, 0))),
    };

    private static byte[] Bytes(object s) => s switch
    {
        RidgeStatistics r => r.ToBytes(),
        PcaStatistics p => p.ToBytes(),
        CcaStatistics c => c.ToBytes(),
        _ => ((MultiTaskRidgeStatistics)s).ToBytes(),
    };

    private static MtlTensor<double> Column(MtlTensor<double> y, int j)
    {
        int n = y.Dim(0), t = y.Dim(1);
        var values = y.ToArray();
        return MtlTensor.FromArray(Enumerable.Range(0, n).Select(i => values[i * t + j]).ToArray(), n);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Left_out_it_stays_null_inside_a_scope_and_through_copy_and_reload(string kind)
    {
        var k = Of(kind);
        object fresh = k.Make(null);
        Assert.Null(k.Get(fresh));
        using (TensorParallelism.Use(new Parallelism(3)))
        {
            object scoped = k.Make(null);
            Assert.Null(k.Get(scoped));   // not frozen to the scope's 3: the thread that adds decides
            Assert.Null(k.Get(k.Copy(scoped)));
        }
        var (x, y, _) = StatisticsData.Regression(new Random(7), 40, 6, 2, offset: 3);
        k.Add(fresh, x, y);
        Assert.Null(k.Get(k.Reload(fresh)));   // a loaded file has no parallelism: all cores, not one thread
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_given_one_is_kept_by_a_copy_and_can_be_set_back_to_null(string kind)
    {
        var k = Of(kind);
        object s = k.Make(new Parallelism(2));
        Assert.Equal(new Parallelism(2), k.Get(s));
        Assert.Equal(new Parallelism(2), k.Get(k.Copy(s)));
        k.Set(s, Parallelism.Sequential);
        Assert.Equal(Parallelism.Sequential, k.Get(k.Copy(s)));
        k.Set(s, null);
        Assert.Null(k.Get(k.Copy(s)));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_statistics_do_not_depend_on_it(string kind)
    {
        var k = Of(kind);
        var (x, y, _) = StatisticsData.Regression(new Random(11), 300, 6, 2, offset: 2);
        object ambient = k.Make(null), one = k.Make(Parallelism.Sequential), two = k.Make(new Parallelism(2)), scoped = k.Make(null);
        k.Add(ambient, x, y);
        k.Add(one, x, y);
        k.Add(two, x, y);
        using (TensorParallelism.Use(Parallelism.Sequential))
            k.Add(scoped, x, y);
        Assert.Equal(Bytes(one), Bytes(ambient));
        Assert.Equal(Bytes(one), Bytes(two));
        Assert.Equal(Bytes(one), Bytes(scoped));
    }
}
