using MtlEngine.Cli.Train;
using MtlEngine.Data;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// <c>split.validation</c> in <c>mtl train</c> specs: a <c>.npy</c> of row indices that become the validation rows (the rest
/// of the non-test rows train), its errors with their JSON path, and <c>mtl example multi-fashion</c>'s held-out validation
/// pictures (<c>--validation-count</c>), whose rows the example's spec names there.
/// </summary>
public sealed class TrainValidationSplitCliTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "mtl-validation-split-" + Guid.NewGuid().ToString("N"));

    public TrainValidationSplitCliTests() => TrainCliTests.WriteFixture(_dir); // 90 rows; test.npy holds rows 0, 6, ..., 84

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Rows(string name, params long[] rows) => ArrayFile.Write(Path.Combine(_dir, name), [NdArray.Create("v", rows, rows.Length)]);

    private string Spec(string split)
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllText(path, $$$"""
        {
          "inputs": [{"name": "stats", "type": "numeric", "path": "x.npy", "encoder": {"type": "mlp", "hidden": [4]}}],
          "tasks": [{"name": "color", "type": "category", "path": "color.npy"}],
          "split": {{{split}}},
          "model": {"hidden": [4]},
          "training": {"epochs": 1, "batch_size": 16, "seed": 3}
        }
        """);
        return path;
    }

    [Fact]
    public void TheValidationFileNamesTheValidationRowsAndTheOtherNonTestRowsTrain()
    {
        Rows("validation.npy", 89, 1, 2, 3, 50);
        var data = TrainRun.Prepare(TrainSpec.Load(Spec("""{"test": "test.npy", "validation": "validation.npy"}""")));
        Assert.Equal([1, 2, 3, 50, 89], data.ValidationRows);
        Assert.Equal(Enumerable.Range(0, 15).Select(i => i * 6), data.TestRows);
        Assert.Equal(Enumerable.Range(0, 90).Where(r => r % 6 != 0 && r is not (1 or 2 or 3 or 50 or 89)), data.TrainRows);

        // With a test fraction too: the seeded test rows, the file's validation rows, the rest train.
        Rows("late.npy", 88, 89);
        data = TrainRun.Prepare(TrainSpec.Load(Spec("""{"test_fraction": 0, "validation": "late.npy"}""")));
        Assert.Equal([88, 89], data.ValidationRows);
        Assert.Empty(data.TestRows);
        Assert.Equal(Enumerable.Range(0, 88), data.TrainRows);

        var (code, output, error) = CliRunner.Mtl("train", "--spec", Spec("""{"test": "test.npy", "validation": "validation.npy"}"""), "--check");
        Assert.True(code == 0, error);
        Assert.Contains("90 samples (train 70, validation 5, test 15)", output);
    }

    [Fact]
    public void WithoutTheValidationFileTheSplitIsAsBefore()
    {
        // The seeded fraction of the non-test rows, drawn as before the key existed: 15 test rows, 15 validation rows (0.2 of 75).
        var data = TrainRun.Prepare(TrainSpec.Load(Spec("""{"test": "test.npy", "validation_fraction": 0.2, "seed": 1}""")));
        Assert.Equal(15, data.ValidationRows.Length);
        Assert.Equal(60, data.TrainRows.Length);
        Assert.Empty(data.ValidationRows.Intersect(data.TestRows));
        var again = TrainRun.Prepare(TrainSpec.Load(Spec("""{"test": "test.npy", "validation_fraction": 0.2, "seed": 1}""")));
        Assert.Equal(data.ValidationRows, again.ValidationRows);
    }

    [Theory]
    [InlineData("""{"test": "test.npy", "validation": "validation.npy", "validation_fraction": 0.1}""",
        "split: give either validation (a file of row indices) or validation_fraction, not both")]
    [InlineData("""{"test": "test.npy", "validation": "none.npy"}""", "split.validation: file not found: none.npy")]
    [InlineData("""{"test": "test.npy", "validation": "overlap.npy"}""", "split.validation: overlap.npy holds row 6, which is also a test row")]
    [InlineData("""{"test": "test.npy", "validation": "outside.npy"}""", "split.validation: outside.npy holds row 90, outside the data's 90 rows")]
    [InlineData("""{"test": "test.npy", "validation": "twice.npy"}""", "split.validation: twice.npy holds row 4 twice")]
    [InlineData("""{"test": "test.npy", "validation": "size.npy"}""", "split.validation: size.npy must be a 1-d array of integer row indices, but it is float64 of shape (90, 2)")]
    [InlineData("""{"test": "test.npy", "validation": "rest.npy"}""", "split.validation: rest.npy holds every row that is not a test row; leave some rows for training")]
    [InlineData("""{"test": "test.npy", "validation": 3}""", "split.validation:")]
    public void ABadValidationFileIsASpecErrorAtItsPath(string split, string expected)
    {
        Rows("validation.npy", 1, 2);
        Rows("overlap.npy", 1, 6);
        Rows("outside.npy", 1, 90);
        Rows("twice.npy", 4, 5, 4);
        Rows("rest.npy", Enumerable.Range(0, 90).Where(r => r % 6 != 0).Select(r => (long)r).ToArray());
        Assert.Contains(expected, CliRunner.AssertUserError("train", "--spec", Spec(split), "--check"));
    }

    [Fact]
    public void TheMultiFashionExampleBuildsItsValidationPicturesFromHeldOutItems()
    {
        // The shipped 12,000 training items: a tenth held out by default, validation.npy names their pictures' rows.
        string shipped = Path.Combine(_dir, "shipped");
        Assert.Equal(0, CliRunner.Mtl("example", "multi-fashion", "--out", shipped).Code);
        Assert.Equal(Enumerable.Range(10_800, 1_200).Select(r => (long)r), (long[])ArrayFile.Read(Path.Combine(shipped, "validation.npy")).Single().Data);
        Assert.Equal(Enumerable.Range(12_000, 2_000).Select(r => (long)r), (long[])ArrayFile.Read(Path.Combine(shipped, "test.npy")).Single().Data);
        Assert.Contains("\"validation\": \"validation.npy\"", File.ReadAllText(Path.Combine(shipped, "spec.json")));
        var (code, output, error) = CliRunner.Mtl("train", "--spec", Path.Combine(shipped, "spec.json"), "--check");
        Assert.True(code == 0, error);
        Assert.Contains("14000 samples (train 10800, validation 1200, test 2000)", output);

        // --validation-count 0: the data and spec before the option (validation_fraction of pictures built from all items).
        string old = Path.Combine(_dir, "old");
        Assert.Equal(0, CliRunner.Mtl("example", "multi-fashion", "--out", old, "--train-count", "500", "--validation-count", "0").Code);
        Assert.False(File.Exists(Path.Combine(old, "validation.npy")));
        Assert.Contains("\"validation_fraction\": 0.1", File.ReadAllText(Path.Combine(old, "spec.json")));
        var items = MtlEngine.Datasets.FashionMnist.LoadShipped(MtlEngine.Datasets.FashionMnistPart.Train).Take(500);
        Assert.Equal(MtlEngine.Datasets.MultiFashion.Build(items, seed: 0).Right.Labels.Select(l => (long)l),
            ((long[])ArrayFile.Read(Path.Combine(old, "right.npy")).Single().Data).Take(500));

        Assert.Contains("--validation-count 500 holds out every one of the 500 training items",
            CliRunner.AssertUserError("example", "multi-fashion", "--out", old, "--train-count", "500", "--validation-count", "500"));
        Assert.Contains("--validation-count is -1", CliRunner.AssertUserError("example", "multi-fashion", "--out", old, "--validation-count", "-1"));
        Assert.Contains("build multi-fashion, not digits", CliRunner.AssertUserError("example", "digits", "--out", old, "--validation-count", "5"));
    }
}
