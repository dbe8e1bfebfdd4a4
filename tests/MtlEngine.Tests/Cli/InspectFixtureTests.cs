using System.Text.Json;
using MtlEngine.Cli;
using MtlEngine.Tests.Data;

namespace MtlEngine.Tests.Cli;

/// <summary><c>mtl inspect --json</c> on every file NumPy (or the fixture script) wrote agrees with the values the script recorded.</summary>
public class InspectFixtureTests
{
    public static TheoryData<string> FixtureFiles() => new(DataFixtures.Load().Keys.Order());

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void Inspect_json_matches_the_recorded_arrays(string file)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(["inspect", DataFixtures.PathOf(file), "--json"], stdout, stderr);
        Assert.True(code == 0, stderr.ToString());

        var expected = DataFixtures.Load()[file];
        var root = JsonDocument.Parse(stdout.ToString()).RootElement;
        bool many = file.EndsWith(".npz", StringComparison.Ordinal) || file.EndsWith(".safetensors", StringComparison.Ordinal);
        var actual = many
            ? root.GetProperty("arrays").EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!)
            : new Dictionary<string, JsonElement> { [""] = root };
        Assert.Equal(expected.Select(e => e.Name).Order(), actual.Keys.Order());

        foreach (var array in expected)
        {
            var json = actual[array.Name];
            Assert.Equal(MtlEngine.Data.DTypes.NumpyName(array.DType), json.GetProperty("dtype").GetString());
            Assert.Equal(array.Shape, json.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
            bool single = array.DType == MtlEngine.Data.DType.Float32;
            // NumPy's rule: a NaN anywhere makes min, max and mean NaN.
            bool nan = array.Values.Any(double.IsNaN);
            double? Statistic(Func<double[], double> f) => array.Values.Length == 0 ? null : nan ? double.NaN : f(array.Values);
            AssertStatistic(Statistic(Enumerable.Min), json.GetProperty("min"), single);
            AssertStatistic(Statistic(Enumerable.Max), json.GetProperty("max"), single);
            AssertStatistic(Statistic(Enumerable.Average), json.GetProperty("mean"), single: false);
        }
    }

    /// <summary>null for an empty array; "NaN" when a NaN is present (NumPy's rule); otherwise the number.</summary>
    private static void AssertStatistic(double? expected, JsonElement actual, bool single)
    {
        if (expected is null)
        {
            Assert.Equal(JsonValueKind.Null, actual.ValueKind);
            return;
        }
        double want = expected.Value;
        if (double.IsNaN(want))
        {
            Assert.Equal("NaN", actual.GetString());
            return;
        }
        double got = actual.GetDouble();
        if (single) Assert.Equal((float)want, (float)got);
        else Assert.Equal(want, got, Math.Max(Math.Abs(want), 1) * 1e-12);
    }
}
