using System.Text.Json;
using MtlEngine.Cli;
using MtlEngine.Data;
using MtlEngine.Datasets;

namespace MtlEngine.Tests.Cli;

/// <summary>The <c>mtl</c> command end to end, in-process, through <see cref="Program.Run"/>: output and exit codes.</summary>
public sealed class CliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("mtl-cli-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string fileName) => Path.Combine(_directory, fileName);

    private static (int Code, string Out, string Err) Mtl(params string[] args) => CliRunner.Mtl(args);

    private static string AssertUserError(params string[] args) => CliRunner.AssertUserError(args);

    private static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement;

    private static double[] Values(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    // ---- inspect ----

    [Fact]
    public void Inspect_npy_json_gives_dtype_shape_and_statistics_of_the_data()
    {
        float[] data = [1.5f, -2f, 3.25f, 8f, 0f, -0.5f];
        string file = PathOf("a.npy");
        ArrayFile.Write(file, [NdArray.Create("", data, 2, 3)]);

        var (code, output, error) = Mtl("inspect", file, "--json");

        Assert.Equal(0, code);
        Assert.Equal("", error);
        var json = Json(output);
        Assert.Equal("float32", json.GetProperty("dtype").GetString());
        Assert.Equal([2.0, 3.0], Values(json.GetProperty("shape")));
        Assert.Equal(data.Min(), json.GetProperty("min").GetDouble());
        Assert.Equal(data.Max(), json.GetProperty("max").GetDouble());
        Assert.Equal(data.Select(x => (double)x).Average(), json.GetProperty("mean").GetDouble(), 12);
    }

    [Fact]
    public void Inspect_npy_table_names_dtype_shape_and_statistics()
    {
        string file = PathOf("b.npy");
        ArrayFile.Write(file, [NdArray.Create("", new[] { 1, 2, 3, 10 }, 4)]);

        var (code, output, _) = Mtl("inspect", file);

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Contains("1 array", lines[0]);
        Assert.Equal(["name", "dtype", "shape", "min", "max", "mean"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["-", "int32", "(4,)", "1", "10", "4"], lines[2].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Inspect_csv_with_header_reads_one_float64_array()
    {
        string file = PathOf("t.csv");
        File.WriteAllText(file, "x,y\n1,2\n3,4\n5,12\n");

        var (code, output, _) = Mtl("inspect", file, "--json");

        Assert.Equal(0, code);
        var json = Json(output);
        Assert.Equal("float64", json.GetProperty("dtype").GetString());
        Assert.Equal([3.0, 2.0], Values(json.GetProperty("shape")));
        Assert.Equal(1, json.GetProperty("min").GetDouble());
        Assert.Equal(12, json.GetProperty("max").GetDouble());
        Assert.Equal(27.0 / 6, json.GetProperty("mean").GetDouble(), 12);
        Assert.Contains("columns: x, y", Mtl("inspect", file).Out);
    }

    [Fact]
    public void Inspect_npz_json_lists_every_member_with_its_name()
    {
        string file = PathOf("m.npz");
        ArrayFile.Write(file,
        [
            NdArray.Create("weights", new[] { 0.25, 0.75 }, 2),
            NdArray.Create("pixels", new byte[] { 0, 255, 7, 9 }, 2, 2),
            NdArray.Create("nothing", Array.Empty<float>(), 0, 3),
        ]);

        var (code, output, _) = Mtl("inspect", file, "--json");

        Assert.Equal(0, code);
        var arrays = Json(output).GetProperty("arrays").EnumerateArray().ToDictionary(a => a.GetProperty("name").GetString()!);
        Assert.Equal(["nothing", "pixels", "weights"], arrays.Keys.Order());
        Assert.Equal("float64", arrays["weights"].GetProperty("dtype").GetString());
        Assert.Equal(0.5, arrays["weights"].GetProperty("mean").GetDouble());
        Assert.Equal("uint8", arrays["pixels"].GetProperty("dtype").GetString());
        Assert.Equal(255, arrays["pixels"].GetProperty("max").GetDouble());
        Assert.Equal([0.0, 3.0], Values(arrays["nothing"].GetProperty("shape")));
        foreach (var statistic in new[] { "min", "max", "mean" })
            Assert.Equal(JsonValueKind.Null, arrays["nothing"].GetProperty(statistic).ValueKind);
    }

    [Fact]
    public void Inspect_safetensors_shows_the_metadata()
    {
        string file = PathOf("model.safetensors");
        Safetensors.Write(file, [NdArray.Create("head.bias", new[] { -1f, 1f }, 2)], new Dictionary<string, string> { ["kind"] = "ridge", ["version"] = "1" });

        var json = Json(Mtl("inspect", file, "--json").Out);
        Assert.Equal("ridge", json.GetProperty("metadata").GetProperty("kind").GetString());
        var only = Assert.Single(json.GetProperty("arrays").EnumerateArray());
        Assert.Equal("head.bias", only.GetProperty("name").GetString());
        Assert.Equal(0, only.GetProperty("mean").GetDouble());

        var (code, table, _) = Mtl("inspect", file);
        Assert.Equal(0, code);
        Assert.Contains("metadata:", table);
        Assert.Contains("ridge", table);
    }

    // ---- convert ----

    [Fact]
    public void Convert_round_trips_npy_through_csv_npz_and_safetensors()
    {
        double[] data = [1, 2.5, -3, 4e-3, 5e10, 6];
        string start = PathOf("start.npy");
        ArrayFile.Write(start, [NdArray.Create("", data, 3, 2)]);

        string previous = start;
        foreach (var next in new[] { "a.csv", "b.npz", "c.safetensors", "d.npy" })
        {
            var (code, output, error) = Mtl("convert", previous, PathOf(next));
            Assert.True(code == 0, error);
            Assert.StartsWith("wrote ", output);
            previous = PathOf(next);
        }

        var back = Assert.Single(ArrayFile.Read(previous));
        Assert.Equal(DType.Float64, back.DType);
        Assert.Equal([3, 2], back.Shape.ToArray());
        Assert.Equal(data, back.ToDoubleArray());
        Assert.Equal("arr_0", Assert.Single(ArrayFile.Read(PathOf("b.npz"))).Name);
    }

    [Fact]
    public void Convert_picks_a_member_with_name_and_otherwise_lists_the_names()
    {
        string source = PathOf("two.npz");
        ArrayFile.Write(source, [NdArray.Create("left", new[] { 1, 2 }, 2), NdArray.Create("right", new long[] { 7, 8, 9 }, 3)]);

        string message = AssertUserError("convert", source, PathOf("one.npy"));
        Assert.Contains("--name", message);
        Assert.Contains("left, right", message);
        Assert.False(File.Exists(PathOf("one.npy")));

        Assert.Equal(0, Mtl("convert", source, PathOf("one.npy"), "--name", "right").Code);
        var right = Assert.Single(ArrayFile.Read(PathOf("one.npy")));
        Assert.Equal(DType.Int64, right.DType);
        Assert.Equal(new long[] { 7, 8, 9 }, (long[])right.Data);

        Assert.Contains("no array named 'middle'", AssertUserError("convert", source, PathOf("x.npy"), "--name", "middle"));
    }

    [Fact]
    public void Convert_keeps_every_member_and_safetensors_metadata()
    {
        string source = PathOf("in.safetensors");
        Safetensors.Write(source, [NdArray.Create("a", new[] { 1f }, 1), NdArray.Create("b", new[] { true, false }, 2)],
            new Dictionary<string, string> { ["format"] = "mtl" });

        Assert.Equal(0, Mtl("convert", source, PathOf("out.safetensors")).Code);
        Assert.Equal(0, Mtl("convert", source, PathOf("out.npz")).Code);

        var copy = Safetensors.Read(PathOf("out.safetensors"));
        Assert.Equal("mtl", copy.Metadata["format"]);
        Assert.Equal(["a", "b"], copy.Tensors.Select(t => t.Name).Order());
        Assert.Equal(["a", "b"], ArrayFile.Read(PathOf("out.npz")).Select(t => t.Name).Order());
    }

    [Fact]
    public void Convert_to_csv_refuses_arrays_of_rank_three()
    {
        string source = PathOf("cube.npy");
        ArrayFile.Write(source, [NdArray.Create("", new double[8], 2, 2, 2)]);
        Assert.Contains("(2, 2, 2)", AssertUserError("convert", source, PathOf("cube.csv")));
    }

    // ---- demo, bench, help ----

    [Fact]
    public void Demo_describes_every_shipped_data_set()
    {
        // Every data-set section by name (the model sections train networks and have tests of their own).
        var (code, output, error) = Mtl(ShippedDatasets.Names.SelectMany(name => new[] { "--section", name }).Prepend("demo").ToArray());

        Assert.Equal(0, code);
        Assert.Equal("", error);
        foreach (var name in ShippedDatasets.Names)
            Assert.Contains($"== {name}:", output);
        Assert.Contains("setosa", output);
        Assert.Contains("117,659", output);
        Assert.Contains("demo done: 8 sections", output);
    }

    [Fact]
    public void Demo_section_runs_only_that_section()
    {
        var (code, output, _) = Mtl("demo", "--section", "linnerud");
        Assert.Equal(0, code);
        Assert.Contains("== linnerud:", output);
        Assert.DoesNotContain("== iris:", output);
        Assert.Contains("no section 'irises'", AssertUserError("demo", "--section", "irises"));
    }

    [Fact]
    public void Help_lists_the_commands()
    {
        var (code, output, _) = Mtl("--help");
        Assert.Equal(0, code);
        foreach (var command in new[] { "inspect", "convert", "demo", "bench" })
            Assert.Contains(command, output);
    }

    [Fact]
    public void Bench_without_a_workload_is_a_user_error() => AssertUserError("bench");

    // ---- errors ----

    [Fact]
    public void Missing_file_is_a_user_error() =>
        Assert.Contains("no such file", AssertUserError("inspect", PathOf("absent.npy")));

    [Fact]
    public void Corrupt_files_are_user_errors_that_name_the_file()
    {
        foreach (var name in new[] { "bad.npy", "bad.npz", "bad.safetensors" })
        {
            File.WriteAllBytes(PathOf(name), [0x93, (byte)'N', (byte)'U', 1, 2, 3, 4, 5, 6, 7, 8, 9]);
            Assert.Contains(name, AssertUserError("inspect", PathOf(name)));
            Assert.Contains(name, AssertUserError("convert", PathOf(name), PathOf("out.npy")));
        }
        File.WriteAllText(PathOf("ragged.csv"), "1,2\n3\n");
        Assert.Contains("ragged.csv", AssertUserError("inspect", PathOf("ragged.csv")));
        File.WriteAllText(PathOf("words.csv"), "1,2\n3,four\n");
        Assert.Contains("words.csv", AssertUserError("inspect", PathOf("words.csv"), "--json"));
    }

    [Fact]
    public void Unknown_extension_is_a_user_error()
    {
        File.WriteAllText(PathOf("notes.txt"), "1,2");
        Assert.Contains("unknown file extension '.txt'", AssertUserError("inspect", PathOf("notes.txt")));
        Assert.Contains("'.xyz'", AssertUserError("convert", PathOf("notes.txt"), PathOf("out.xyz")));
    }

    [Fact]
    public void Directory_is_a_user_error() =>
        AssertUserError("inspect", Directory.CreateDirectory(PathOf("folder.npy")).FullName);

    [Fact]
    public void Unknown_option_command_and_missing_argument_are_user_errors()
    {
        Assert.Contains("--bogus", AssertUserError("inspect", "x.npy", "--bogus"));
        Assert.Contains("frobnicate", AssertUserError("frobnicate"));
        AssertUserError("inspect");
        AssertUserError("convert", "only-one.npy");
        AssertUserError();
    }

    [Fact]
    public void Debug_mode_adds_the_stack_trace_after_the_one_line()
    {
        var stderr = new StringWriter();
        string file = PathOf("bad.npy");
        File.WriteAllBytes(file, [1, 2, 3]);
        int code = Program.Run(["inspect", file], TextWriter.Null, stderr, debug: true);
        Assert.Equal(Program.ExitUserError, code);
        var lines = stderr.ToString().Split('\n');
        Assert.StartsWith("mtl: ", lines[0]);
        Assert.Contains("DataFormatException", stderr.ToString());
    }

    [Fact]
    public void Bugs_and_user_errors_are_told_apart()
    {
        Assert.True(Program.IsUserError(new DataFormatException("f.npy", "bad magic")));
        Assert.True(Program.IsUserError(new FileNotFoundException("gone")));
        Assert.True(Program.IsUserError(new ArgumentException("shapes (2, 3) and (4,) do not broadcast")));
        Assert.False(Program.IsUserError(new ArgumentNullException("x")));
        Assert.False(Program.IsUserError(new NotImplementedException()));
        Assert.False(Program.IsUserError(new NullReferenceException()));
        Assert.False(Program.IsUserError(new InvalidOperationException()));
    }
}
