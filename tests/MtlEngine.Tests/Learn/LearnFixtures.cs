using System.Text.Json;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>The scikit-learn reference values written by Fixtures/Learn/make_learn_fixtures.py.</summary>
internal static class LearnFixtures
{
    public static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "learn_fixtures.json"))).RootElement;

    public static JsonElement Case(string name) => Root.GetProperty(name);

    public static double[] Vector(JsonElement e) => [.. e.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? double.NaN : v.GetDouble())];

    public static int[] Labels(JsonElement e) => [.. e.EnumerateArray().Select(v => v.GetInt32())];

    public static double[,] Array2(JsonElement e)
    {
        var rows = e.EnumerateArray().Select(Vector).ToArray();
        var a = new double[rows.Length, rows.Length == 0 ? 0 : rows[0].Length];
        for (int i = 0; i < rows.Length; i++)
            for (int j = 0; j < rows[i].Length; j++) a[i, j] = rows[i][j];
        return a;
    }

    public static MtlTensor<double> Matrix(JsonElement e) => MtlTensor.FromArray(Array2(e));

    public static void Close(double expected, double actual, double tolerance, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    public static void Close(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
    }

    public static void Close(double[,] expected, MtlTensor<double> actual, double tolerance, string what)
    {
        Assert.Equal(expected.GetLength(0), actual.Dim(0));
        Assert.Equal(expected.GetLength(1), actual.Dim(1));
        Close(expected.Cast<double>().ToArray(), actual.ToArray(), tolerance, what);
    }
}
