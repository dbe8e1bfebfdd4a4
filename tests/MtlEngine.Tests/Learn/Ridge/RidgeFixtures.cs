using System.Text.Json;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>The scikit-learn reference values written by Fixtures/Learn/make_ridge_fixtures.py (Ridge, RidgeCV, multi-task elastic net).</summary>
internal static class RidgeFixtures
{
    public static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "ridge_fixtures.json"))).RootElement;

    public static JsonElement Fixture(string name) => Root.GetProperty(name);

    /// <summary>A JSON number or list of numbers as an array.</summary>
    public static double[] Numbers(JsonElement e) => e.ValueKind == JsonValueKind.Array
        ? [.. e.EnumerateArray().SelectMany(v => v.ValueKind == JsonValueKind.Array ? Numbers(v) : [v.GetDouble()])]
        : [e.GetDouble()];

    /// <summary>Columns <paramref name="columns"/> of a matrix (all when null), as a tensor.</summary>
    public static MtlTensor<double> Columns(MtlTensor<double> a, int[] columns)
    {
        int n = a.Dim(0), w = a.Dim(1);
        var v = a.ToArray();
        var r = new double[n * columns.Length];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < columns.Length; k++) r[i * columns.Length + k] = v[i * w + columns[k]];
        return MtlTensor.FromArray(r, n, columns.Length);
    }

    /// <summary>The first <paramref name="count"/> rows.</summary>
    public static MtlTensor<double> Head(MtlTensor<double> a, int count)
    {
        int w = a.Rank == 1 ? 1 : a.Dim(1);
        var v = a.ToArray()[..(count * w)];
        return a.Rank == 1 ? MtlTensor.FromArray(v, count) : MtlTensor.FromArray(v, count, w);
    }

    /// <summary>Column <paramref name="j"/> as a 1-D tensor.</summary>
    public static MtlTensor<double> Column(MtlTensor<double> a, int j) => MtlTensor.FromArray(Columns(a, [j]).ToArray(), a.Dim(0));
}
