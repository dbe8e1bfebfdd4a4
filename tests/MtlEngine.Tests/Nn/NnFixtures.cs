using System.Text.Json;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Nn;

/// <summary>The PyTorch reference values written by Fixtures/Nn/make_indexing_fixtures.py, and its closed-form inputs.</summary>
internal static class NnFixtures
{
    public static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Nn", "indexing_fixtures.json"))).RootElement;

    public static string StateDictPath => Path.Combine(AppContext.BaseDirectory, "Fixtures", "Nn", "attention_batchnorm.safetensors");

    /// <summary>The script's <c>wave</c>: f(a·i + b) over the flat index i, in the given shape.</summary>
    public static MtlTensor<double> Wave(int[] shape, double a = 1, double b = 0, bool cosine = false)
    {
        var values = new double[MtlTensor<double>.CheckedLength(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = cosine ? Math.Cos(a * i + b) : Math.Sin(a * i + b);
        return MtlTensor.FromArray(values, shape);
    }

    /// <summary>A closed-form leaf that requires grad (the script's <c>leaf</c>).</summary>
    public static MtlTensor<double> Leaf(int[] shape, double a = 1, double b = 0)
    {
        var t = Wave(shape, a, b);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>Back-propagates L = Σ r ⊙ y with the script's r = cos(0.37 i + 0.5).</summary>
    public static void Backward(MtlTensor<double> y) => (y * Wave(y.Shape.ToArray(), 0.37, 0.5, cosine: true)).Sum().Backward();

    public static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => (int)v.GetDouble()).ToArray();

    public static double[] Doubles(string section, string name) => Doubles(Root.GetProperty(section).GetProperty(name));

    public static void AssertClose(double[] expected, MtlTensor<double> actual, double tolerance = 1e-12, string what = "") =>
        AssertClose(expected, actual.ToArray(), tolerance, what);

    public static void AssertClose(double[] expected, double[] actual, double tolerance = 1e-12, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{what} element {i}: PyTorch {expected[i]:R}, ours {actual[i]:R}");
    }
}
