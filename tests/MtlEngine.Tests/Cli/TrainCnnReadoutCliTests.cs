using MtlEngine.Cli.Train;
using MtlEngine.Data;
using MtlEngine.MultiModal;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// The cnn encoder's spec keys <c>kernel</c> and <c>readout</c> in <c>mtl train</c> (they build the encoder they name; bad
/// values are spec errors with their JSON path), and <c>mtl example multi-fashion --fashion-mnist DIR --train-count N</c>.
/// </summary>
public sealed class TrainCnnReadoutCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-cnn-readout-" + Guid.NewGuid().ToString("N"));

    public TrainCnnReadoutCliTests() => TrainCliTests.WriteFixture(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Spec(string pictureEncoder, string statsEncoder = """{"type": "mlp", "hidden": [6]}""")
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$$"""
        {
          "inputs": [
            {"name": "picture", "type": "image", "path": "pictures.npy", "encoder": {{{pictureEncoder}}}},
            {"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {{{statsEncoder}}}}
          ],
          "tasks": [{"name": "color", "type": "category", "path": "color.npy"}],
          "split": {"test": "test.npy", "validation_fraction": 0.2, "seed": 1},
          "model": {"hidden": [8]},
          "training": {"epochs": 1, "batch_size": 16, "learning_rate": 0.01, "seed": 3}
        }
        """);
        return path;
    }

    [Theory]
    [InlineData("""{"type": "cnn", "channels": [3, 4]}""", 3, CnnReadout.Pool, 4 * 2 * 2)]
    [InlineData("""{"type": "cnn", "channels": [3, 4], "kernel": 5, "readout": "flatten"}""", 5, CnnReadout.Flatten, 4 * 3 * 3)]
    [InlineData("""{"type": "cnn", "channels": [3], "readout": "flatten"}""", 3, CnnReadout.Flatten, 3 * 3 * 3)]
    public void KernelAndReadoutBuildTheEncoderTheyName(string encoder, int kernel, CnnReadout readout, int width)
    {
        // The fixture's pictures are 1 × 6 × 6: block 0 pools to 3 × 3, and block 1 (3 < 4) does not pool.
        var spec = TrainSpec.Load(Spec(encoder));
        var data = TrainRun.Prepare(spec);
        var model = TrainRun.BuildModel(spec, data.Preprocessing, data.TaskSpecs);
        var cnn = Assert.Single(model.NamedModules().Select(m => m.Value).OfType<CnnEncoder<float>>());
        Assert.Equal(kernel, cnn.Kernel);
        Assert.Equal(readout, cnn.ReadoutKind);
        Assert.Equal(width, cnn.OutputWidth);
        Assert.Equal([5, 3], model.Forward(data.Dataset.Batch(data.TrainRows[..5]))["color"].Shape.ToArray());
    }

    [Theory]
    [InlineData("""{"type": "cnn", "readout": "none"}""", null, "inputs[0].encoder.readout: \"none\" is not allowed here; the allowed values are pool, flatten")]
    [InlineData("""{"type": "cnn", "kernel": 4}""", null, "inputs[0].encoder.kernel: is 4; give an odd size (3, 5, ...)")]
    [InlineData("""{"type": "cnn", "kernel": 0}""", null, "inputs[0].encoder.kernel")]
    [InlineData("""{"type": "mlp", "readout": "flatten"}""", null, "inputs[0].encoder.readout: is a setting of the cnn encoder, and this input's encoder is mlp")]
    [InlineData("""{"type": "cnn"}""", """{"type": "mlp", "kernel": 3}""", "inputs[1].encoder.kernel: is a setting of the cnn encoder, and this input's encoder is mlp")]
    public void BadKernelOrReadoutIsASpecErrorWithItsPath(string picture, string? stats, string message)
    {
        var (code, _, error) = CliRunner.Mtl("train", "--spec", stats is null ? Spec(picture) : Spec(picture, stats), "--check");
        Assert.NotEqual(0, code);
        Assert.Contains(message, error);
    }

    [Fact]
    public void MultiFashionBuildsFromPublishedFilesAndKeepsTheFirstTrainingItems()
    {
        string source = Path.Combine(_dir, "fashion");
        Directory.CreateDirectory(source);
        static byte[] Idx(int[] shape, Func<int, byte> value)
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            var bytes = new List<byte> { 0, 0, 0x08, (byte)shape.Length };
            foreach (int d in shape) bytes.AddRange([(byte)(d >> 24), (byte)(d >> 16), (byte)(d >> 8), (byte)d]);
            bytes.AddRange(Enumerable.Range(0, count).Select(value));
            return [.. bytes];
        }
        File.WriteAllBytes(Path.Combine(source, "train-images-idx3-ubyte"), Idx([7, 28, 28], i => (byte)(i % 251)));
        File.WriteAllBytes(Path.Combine(source, "train-labels-idx1-ubyte"), Idx([7], i => (byte)(9 - i)));
        File.WriteAllBytes(Path.Combine(source, "t10k-images-idx3-ubyte"), Idx([3, 28, 28], i => (byte)(i % 13)));
        File.WriteAllBytes(Path.Combine(source, "t10k-labels-idx1-ubyte"), Idx([3], i => (byte)i));
        string output = Path.Combine(_dir, "built");
        Assert.Equal(0, CliRunner.Mtl("example", "multi-fashion", "--out", output, "--fashion-mnist", source, "--train-count", "5").Code);
        Assert.Equal([8, 36, 36], ArrayFile.Read(Path.Combine(output, "pictures.npy")).Single().Shape.ToArray());
        Assert.Equal([5L, 6, 7], (long[])ArrayFile.Read(Path.Combine(output, "test.npy")).Single().Data);
        Assert.Equal([9L, 8, 7, 6, 5, 0, 1, 2], (long[])ArrayFile.Read(Path.Combine(output, "left.npy")).Single().Data);
        var (code, stdout, error) = CliRunner.Mtl("train", "--spec", Path.Combine(output, "spec.json"), "--check");
        Assert.True(code == 0, error);
        Assert.Contains("8 labelled samples", stdout);

        Assert.Equal([4L], (long[])ArrayFile.Read(Path.Combine(output, "validation.npy")).Single().Data); // the last kept item's picture
        Assert.Contains("--fashion-mnist, --train-count and --validation-count build multi-fashion, not digits",
            CliRunner.AssertUserError("example", "digits", "--out", output, "--train-count", "5"));
        Assert.Contains("no train-images-idx3-ubyte.gz", CliRunner.AssertUserError("example", "multi-fashion", "--out", output, "--fashion-mnist", _dir));
        Assert.Contains("--train-count is 0", CliRunner.AssertUserError("example", "multi-fashion", "--out", output, "--train-count", "0"));
    }
}
