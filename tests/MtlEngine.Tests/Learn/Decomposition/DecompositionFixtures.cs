using System.Text.Json;
using MtlEngine.Datasets;
using MtlEngine.Tensors;

namespace MtlEngine.Tests.Learn;

/// <summary>The scikit-learn reference values written by Fixtures/Learn/make_decomposition_fixtures.py, and the shipped data they were made from.</summary>
internal static class DecompositionFixtures
{
    public static readonly JsonElement Root = JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "Learn", "decomposition_fixtures.json"))).RootElement;

    public static JsonElement Fixture(string name) => Root.GetProperty(name);

    public static MtlTensor<double> Shipped(string name) => name switch
    {
        "iris" => ShippedDatasets.LoadIris().Features,
        "wine" => ShippedDatasets.LoadWine().Features,
        "breast_cancer" => ShippedDatasets.LoadBreastCancer().Features,
        "digits" => ShippedDatasets.LoadDigits().Features,
        _ => throw new ArgumentException(name),
    };

    public static MtlTensor<double> Head(MtlTensor<double> x, int rows) =>
        MtlTensor.FromArray(x.ToArray()[..(rows * x.Dim(1))], rows, x.Dim(1));
}
