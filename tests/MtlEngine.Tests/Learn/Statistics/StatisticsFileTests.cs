using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Learn.Preprocessing;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>
/// Every statistics type's saved form (<see cref="FitStatisticsFormat"/>): merged statistics round-trip bit for bit, through
/// bytes and through a file; every truncation and every flipped bit is refused with a <see cref="DataFormatException"/> that
/// says what is wrong (a file's names the file).
/// </summary>
public sealed class StatisticsFileTests
{
    public static TheoryData<string> Kinds => ["ridge", "pca", "cca", "multitask_ridge", "standard_scaler", "min_max_scaler"];

    /// <summary>Statistics of each kind, merged from two parts (so the moments are not those of one block).</summary>
    private static void WithStatistics(string kind, Action<Func<byte[]>, Func<byte[], byte[]>, Func<string, byte[]>> check)
    {
        var rng = new Random(kind.Length);
        var (x, y, w) = StatisticsData.Regression(rng, 31, 3, 2, offset: 5);
        int[] first = [.. Enumerable.Range(0, 13)], second = [.. Enumerable.Range(13, 18)];
        var (xa, xb, ya, yb) = (StatisticsData.Rows(x, first), StatisticsData.Rows(x, second), StatisticsData.Rows(y, first), StatisticsData.Rows(y, second));
        switch (kind)
        {
            case "ridge":
                Run(RidgeStatistics.From(xa, ya, w[..13]).Merge(RidgeStatistics.From(xb, yb, w[13..])));
                break;
            case "pca":
                Run(PcaStatistics.From(xa).Merge(PcaStatistics.From(xb)));
                break;
            case "cca":
                Run(CcaStatistics.From(xa, ya).Merge(CcaStatistics.From(xb, yb)));
                break;
            case "multitask_ridge":
                var m = new MultiTaskRidgeStatistics(3, 2);
                m.Add(0, xa, StatisticsData.Rows(MtlTensor.FromArray(y.ToArray().Where((_, i) => i % 2 == 0).ToArray(), 31), first));
                m.Add(1, xb, StatisticsData.Rows(MtlTensor.FromArray(y.ToArray().Where((_, i) => i % 2 == 1).ToArray(), 31), second));
                Run(m);
                break;
            case "standard_scaler":
                var s = new StandardScalerStatistics(3);
                s.Add(xa);
                var s2 = new StandardScalerStatistics(3);
                s2.Add(xb);
                Run(s.Merge(s2));
                break;
            default:
                var mm = new MinMaxScalerStatistics(3);
                mm.Add(xa);
                var mm2 = new MinMaxScalerStatistics(3);
                mm2.Add(xb);
                Run(mm.Merge(mm2));
                break;
        }

        void Run<T>(T statistics) where T : class, IFitStatistics<T>
        {
            check(statistics.ToBytes, bytes => FitStatistics.FromBytes<T>(bytes).ToBytes(), path =>
            {
                var back = FitStatistics.LoadFile<T>(path);
                Assert.Equal((statistics.Rows, statistics.WeightSum, statistics.Features, statistics.Targets), (back.Rows, back.WeightSum, back.Features, back.Targets));
                return back.ToBytes();
            });
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void MergedStatisticsRoundTripBitForBitThroughBytesAndFiles(string kind) => WithStatistics(kind, (save, reload, loadFile) =>
    {
        var bytes = save();
        Assert.Equal(bytes, reload(bytes)); // the format holds every field, so equal bytes are equal statistics
        string path = Path.Combine(Path.GetTempPath(), $"mtl-statistics-{Guid.NewGuid():N}.bin");
        try
        {
            File.WriteAllBytes(path, bytes);
            Assert.Equal(bytes, loadFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    });

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryTruncationAndEveryFlippedBitIsRefusedWithTheProblemNamed(string kind) => WithStatistics(kind, (save, reload, loadFile) =>
    {
        var bytes = save();
        for (int length = 0; length < bytes.Length; length++)
        {
            var error = Assert.Throws<DataFormatException>(() => reload(bytes[..length]));
            Assert.Contains("truncated", error.Message);
        }
        int header = 8 + 2 + 1 + kind.Length + 8;
        for (int at = 0; at < bytes.Length; at++)
            foreach (byte bit in new byte[] { 0x01, 0x80 })
            {
                var damaged = (byte[])bytes.Clone();
                damaged[at] ^= bit;
                var error = Assert.Throws<DataFormatException>(() => reload(damaged));
                if (at < 8) Assert.Contains("MTLSTATS", error.Message);
                else if (at < 10) Assert.Contains("version", error.Message);
                else if (at >= header) Assert.Contains("CRC-32", error.Message); // the payload and the CRC itself
            }
        string path = Path.Combine(Path.GetTempPath(), $"mtl-statistics-{Guid.NewGuid():N}.bin");
        try
        {
            File.WriteAllBytes(path, bytes[..^3]);
            var error = Assert.Throws<DataFormatException>(() => loadFile(path));
            Assert.StartsWith($"{path}: {kind} statistics: truncated", error.Message);
            Assert.Equal(path, error.FileName);
        }
        finally
        {
            File.Delete(path);
        }
    });

    [Fact]
    public void AFileOfAnotherKindOrVersionSaysSo()
    {
        var pca = new PcaStatistics(2);
        pca.Add([1.0, 2.0, 3.0, 5.0], [], []);
        var bytes = pca.ToBytes();
        Assert.Contains("of kind \"pca\", not \"ridge\"", Assert.Throws<DataFormatException>(() => FitStatistics.FromBytes<RidgeStatistics>(bytes)).Message);
        bytes[8] = 2; // version 2, CRC not even read
        Assert.Contains("format version 2; this build reads version 1 only", Assert.Throws<DataFormatException>(() => FitStatistics.FromBytes<PcaStatistics>(bytes)).Message);
        Assert.Throws<FileNotFoundException>(() => FitStatistics.LoadFile<PcaStatistics>(Path.Combine(Path.GetTempPath(), $"mtl-none-{Guid.NewGuid():N}.bin")));
    }
}
