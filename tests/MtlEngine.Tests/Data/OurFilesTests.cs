using System.Text;
using System.Text.Json;
using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

/// <summary>
/// Fixtures/Data/ours/ holds files our writers produced, committed so that
/// <c>make_data_fixtures.py --check-ours</c> can check that NumPy loads them. This test keeps them honest: our
/// writers must still produce exactly those bytes (the deflated .npz, whose bytes depend on the zlib build, must read back).
/// </summary>
public class OurFilesTests
{
    private static readonly Dictionary<string, string> Metadata = new() { ["format"] = "mtl", ["note"] = "written by MtlEngine" };

    private static NdArray[] Arrays() =>
    [
        .. DTypes.All.Select((dtype, i) => TestArrays.Make(dtype, [2, 3], seed: 100 + i, name: DTypes.NumpyName(dtype))),
        new NdArray("scalar", DType.Float64, [], new[] { -0.1 }),
        new NdArray("empty", DType.Int32, [0, 4], Array.Empty<int>()),
        new NdArray("special", DType.Float64, [5], new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, -0.0 }),
    ];

    /// <summary>File name → bytes our writers produce now.</summary>
    private static Dictionary<string, byte[]> Produce(out Dictionary<string, NdArray[]> contents)
    {
        NdArray[] arrays = Arrays();
        var files = new Dictionary<string, byte[]>();
        contents = [];
        foreach (NdArray array in arrays)
        {
            var stream = new MemoryStream();
            Npy.Write(stream, array);
            files[$"{array.Name}.npy"] = stream.ToArray();
            contents[$"{array.Name}.npy"] = [array.WithName("")];
        }
        foreach (bool compress in new[] { false, true })
        {
            var stream = new MemoryStream();
            Npz.Write(stream, arrays, compress);
            string name = compress ? "deflated.npz" : "stored.npz";
            files[name] = stream.ToArray();
            contents[name] = arrays;
        }
        var model = new MemoryStream();
        Safetensors.Write(model, arrays, Metadata);
        files["model.safetensors"] = model.ToArray();
        contents["model.safetensors"] = arrays;

        NdArray table = TestArrays.Make(DType.Float64, [5, 3], seed: 7);
        var csv = new StringWriter();
        Csv.Write(csv, table, ["a", "b", "c"]);
        files["table.csv"] = Encoding.UTF8.GetBytes(csv.ToString());
        contents["table.csv"] = [table];
        return files;
    }

    [Fact]
    public void CommittedFilesAreWhatOurWritersProduce()
    {
        Dictionary<string, byte[]> files = Produce(out var contents);
        string committed = DataFixtures.PathOf("ours");
        string actual = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Data", "ours-actual");
        Directory.CreateDirectory(actual);
        foreach (var (name, bytes) in files) File.WriteAllBytes(Path.Combine(actual, name), bytes);
        File.WriteAllText(Path.Combine(actual, "expected.json"), Manifest(contents));

        string refresh = $"Our writers' output changed. If that is intended, copy {actual} to tests/MtlEngine.Tests/Fixtures/Data/ours and run make_data_fixtures.py --check-ours.";
        Assert.True(File.Exists(Path.Combine(committed, "expected.json")), refresh);
        Assert.True(Manifest(contents) == File.ReadAllText(Path.Combine(committed, "expected.json")), refresh);
        foreach (var (name, bytes) in files)
        {
            byte[] old = File.ReadAllBytes(Path.Combine(committed, name));
            if (name == "deflated.npz")
            {
                IReadOnlyList<NdArray> read = Npz.Read(new MemoryStream(old), name);
                for (int i = 0; i < read.Count; i++) TestArrays.AssertSame(contents[name][i], read[i]);
            }
            else Assert.True(bytes.AsSpan().SequenceEqual(old), $"{name}: {refresh}");
        }
    }

    /// <summary>The same record layout as make_data_fixtures.py's expected.json.</summary>
    private static string Manifest(Dictionary<string, NdArray[]> contents)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            foreach (var (file, arrays) in contents.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                writer.WriteStartArray(file);
                foreach (NdArray array in arrays)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", array.Name);
                    writer.WriteString("dtype", file.EndsWith(".csv") ? "float64" : DTypes.NumpyName(array.DType));
                    writer.WriteStartArray("shape");
                    foreach (int size in array.Shape) writer.WriteNumberValue(size);
                    writer.WriteEndArray();
                    writer.WriteStartArray("values");
                    switch (array.Data)
                    {
                        case bool[] flags:
                            foreach (bool flag in flags) writer.WriteBooleanValue(flag);
                            break;
                        case int[] or long[] or byte[]:
                            foreach (object item in array.Data) writer.WriteNumberValue(Convert.ToInt64(item));
                            break;
                        default:
                            foreach (double value in array.ToDoubleArray())
                            {
                                if (double.IsNaN(value)) writer.WriteStringValue("nan");
                                else if (double.IsInfinity(value)) writer.WriteStringValue(value > 0 ? "inf" : "-inf");
                                else writer.WriteNumberValue(value);
                            }
                            break;
                    }
                    writer.WriteEndArray();
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
            }
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
