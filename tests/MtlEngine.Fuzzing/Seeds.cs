using System.Text;
using MtlEngine.Data;
using MtlEngine.Learn;
using MtlEngine.Learn.Text;
using MtlEngine.Tensors;

namespace MtlEngine.Fuzzing;

/// <summary>
/// The valid inputs every case starts from: small arrays of every dtype and rank in each array format, a model file of
/// every kind (fitted on a few rows, so that loading and predicting are cheap), and the specs that <c>mtl example</c> writes
/// with their data files (so that a spec's paths resolve).
/// </summary>
internal sealed class Seeds
{
    public Seeds(string folder)
    {
        Folder = folder;
        Directory.CreateDirectory(folder);
        var arrays = Arrays();
        foreach (var array in arrays) Npy.Add(Bytes(s => MtlEngine.Data.Npy.Write(s, array)));
        Npy.Add(Bytes(s => MtlEngine.Data.Npy.Write(s, NdArray.Create("", Enumerable.Range(0, 12).Select(i => i * 0.5).ToArray(), 3, 4))));
        foreach (bool compress in new[] { false, true })
        {
            Npz.Add(Bytes(s => MtlEngine.Data.Npz.Write(s, arrays.Take(4).ToArray(), compress)));
            Npz.Add(Bytes(s => MtlEngine.Data.Npz.Write(s, [arrays[0]], compress)));
        }
        Safetensors.Add(Bytes(s => MtlEngine.Data.Safetensors.Write(s, arrays, new Dictionary<string, string> { ["format"] = "mtl", ["note"] = "é" })));
        Safetensors.Add(Bytes(s => MtlEngine.Data.Safetensors.Write(s, [arrays[0]])));
        Csv.Add(Encoding.UTF8.GetBytes("x,y,z\n1,2,3\n4.5,-6e3,nan\ninf,-inf,0\n"));
        Csv.Add(Encoding.UTF8.GetBytes("\"a\",\"b\"\r\n1,2\r\n# comment\r\n\r\n3,4\r\n"));
        Csv.Add(Encoding.UTF8.GetBytes("0.5\n-1\n2e-3\n"));
        Csv.Add(Encoding.UTF8.GetBytes("1,2,3,4\n5,6,7,8\n"));
        Models = ModelFiles(Path.Combine(folder, "models"));
        Specs = SpecFiles(Path.Combine(folder, "specs"));
        XPath = Path.Combine(folder, "x.npy");
        MtlEngine.Data.Npy.Write(XPath, NdArray.FromTensor(Features(5, 3)));
    }

    /// <summary>The folder the seeds' files live in (the specs' data files, the X given to <c>mtl predict</c>).</summary>
    public string Folder { get; }

    public List<byte[]> Npy { get; } = [];
    public List<byte[]> Npz { get; } = [];
    public List<byte[]> Safetensors { get; } = [];
    public List<byte[]> Csv { get; } = [];

    /// <summary>A saved model of every kind.</summary>
    public List<byte[]> Models { get; }

    /// <summary>Spec texts and the folder their paths are relative to.</summary>
    public List<(byte[] Json, string Folder)> Specs { get; }

    /// <summary>A float64 X of shape (5, 3) for <c>mtl predict</c>.</summary>
    public string XPath { get; }

    public IReadOnlyList<byte[]> Of(FuzzFormat format) => format switch
    {
        FuzzFormat.Npy => Npy,
        FuzzFormat.Npz => Npz,
        FuzzFormat.Safetensors => Safetensors,
        FuzzFormat.Csv => Csv,
        FuzzFormat.Model => Models,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "no byte seeds"),
    };

    private static List<NdArray> Arrays() =>
    [
        NdArray.Create("a", new[] { 1.5f, -2f, 3.25f, 0f, 7f, 8f }, 2, 3),
        NdArray.Create("b", new[] { 1.0, double.NaN, 1e300 }),
        NdArray.Create("c", new[] { 1, -2, 3, 4 }, 2, 2),
        NdArray.Create("d", new[] { long.MinValue, -6L, long.MaxValue }),
        NdArray.Create("e", new byte[] { 0, 255, 7 }),
        NdArray.Create("f", new[] { true, false, true, true }, 2, 1, 2),
        new NdArray("g", DType.Float64, [], new[] { 2.5 }),
        new NdArray("h", DType.Int32, [0, 3], Array.Empty<int>()),
    ];

    private static byte[] Bytes(Action<Stream> write)
    {
        var stream = new MemoryStream();
        write(stream);
        return stream.ToArray();
    }

    internal static MtlTensor<double> Features(int n, int d) =>
        MtlTensor.FromArray(Enumerable.Range(0, n * d).Select(i => Math.Sin(i * 0.9) + i % 3).ToArray(), n, d);

    private static List<byte[]> ModelFiles(string folder)
    {
        Directory.CreateDirectory(folder);
        var x = Features(12, 3);
        var y = MtlTensor.FromArray(Enumerable.Range(0, 12).Select(i => Math.Cos(i * 0.4)).ToArray(), 12);
        var y2 = MtlTensor.FromArray(Enumerable.Range(0, 24).Select(i => Math.Cos(i * 0.7)).ToArray(), 12, 2);
        int[] binary = [0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0];
        int[] three = [0, 1, 2, 1, 2, 0, 1, 0, 2, 2, 1, 0];
        string[] documents = ["the cat sat", "a dog ran far", "the dog and the cat", "birds fly south", "cats and dogs"];
        var saves = new List<Action<string>>
        {
            p => new Ridge(Alpha: 0.5).Fit(x, y).Save(p),
            p => new Ridge(Alphas: [0.1, 2]).Fit(x, y2).Save(p),
            p => new LogisticRegression().Fit(x, binary).Save(p),
            p => new LogisticRegression().Fit(x, three).Save(p),
            p => new Pca(Components: 2, Whiten: true).Fit(x).Save(p),
            p => new IncrementalPca(Components: 2, BatchSize: 6).Fit(x).Save(p),
            p => new MultiTaskRidge().Fit([x, x], [y, y]).Save(p),
            p => new MultiTaskElasticNet(Alpha: 0.01).Fit(x, y2).Save(p),
            p => new Cca(Components: 1).Fit(x, y2).Save(p),
            p => new CountVectorizer().Fit(documents).Save(p),
            p => new TfidfVectorizer().Fit(documents).Save(p),
        };
        var files = new List<byte[]>();
        for (int i = 0; i < saves.Count; i++)
        {
            string path = Path.Combine(folder, $"model{i}.safetensors");
            saves[i](path);
            files.Add(File.ReadAllBytes(path));
        }
        return files;
    }

    private static List<(byte[] Json, string Folder)> SpecFiles(string folder)
    {
        var specs = new List<(byte[], string)>();
        foreach (string example in new[] { "linnerud", "breast_cancer" })
        {
            string directory = Path.Combine(folder, example);
            Directory.CreateDirectory(directory);
            Cli.Train.ExampleCommand.Write(example, directory);
            specs.Add((File.ReadAllBytes(Path.Combine(directory, "spec.json")), directory));
        }
        // Every section and many keys, over the linnerud files.
        string linnerud = Path.Combine(folder, "linnerud");
        string first = File.ReadAllText(Path.Combine(linnerud, "spec.json"));
        var node = System.Text.Json.Nodes.JsonNode.Parse(first)!.AsObject();
        node["split"] = System.Text.Json.Nodes.JsonNode.Parse("""{"test_fraction": 0.2, "validation_fraction": 0.1, "seed": 3}""");
        node["model"] = System.Text.Json.Nodes.JsonNode.Parse("""{"hidden": [16, 8], "dropout": 0.1}""");
        node["training"] = System.Text.Json.Nodes.JsonNode.Parse("""{"epochs": 3, "batch_size": 4, "learning_rate": 0.01, "seed": 1, "early_stopping": {"metric": "loss", "patience": 2}, "lr_schedule": {"kind": "cosine", "warmup_epochs": 1, "min_lr": 0.001}}""");
        specs.Add((Encoding.UTF8.GetBytes(node.ToJsonString()), linnerud));
        return specs;
    }
}
