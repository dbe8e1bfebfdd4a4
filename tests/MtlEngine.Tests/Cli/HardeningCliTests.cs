using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using MtlEngine.Cli.Bench;
using MtlEngine.Data;
using MtlEngine.Learn;

namespace MtlEngine.Tests.Cli;

/// <summary>
/// The command-line side of issue 18: every reproducer exits with code 2 and one printable line on stderr — numbers in
/// the invariant culture only (<c>--alpha 1,5</c> is not 15), <c>--threads</c> bounded, a missing output folder named with
/// its option, no .NET type names, control characters from files escaped, pipes refused, int64 printed exactly.
/// </summary>
public sealed class HardeningCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mtl-hardening-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private (string X, string Y) RidgeData()
    {
        var (x, y) = RidgeBench.Data(20, 3, 1);
        string xPath = PathOf("x.npy"), yPath = PathOf("y.npy");
        Npy.Write(xPath, NdArray.Create("", x.ToArray(), 20, 3));
        Npy.Write(yPath, NdArray.Create("", y.ToArray(), 20));
        return (xPath, yPath);
    }

    private static void Printable(string line) =>
        Assert.True(MtlEngine.Data.Printable.IsPrintable(line) && !line.Contains("System."), $"not a clean line: {line}");

    [Theory]
    [InlineData("1,5", "commas")]
    [InlineData("1.000,5", "commas")]
    [InlineData("abc", "not a number")]
    [InlineData("1_0", "not a number")]
    public void AlphaIsReadInTheInvariantCultureOnly(string value, string expected)
    {
        var (x, y) = RidgeData();
        string line = CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--alpha", value, "--save", PathOf("m.safetensors"));
        Assert.Contains("--alpha", line);
        Assert.Contains(expected, line);
        Printable(line);
    }

    [Fact]
    public void OptionErrorsShowNoDotNetTypeNames()
    {
        string line = CliRunner.AssertUserError("fit", "pca", "--x", "x.npy", "--components", "two", "--save", PathOf("m.safetensors"));
        Assert.Contains("--components", line);
        Printable(line);
        Assert.Equal("Cannot parse argument 'x' for option '--alpha' as expected type 'number'.",
            MtlEngine.Cli.OptionChecks.Readable("Cannot parse argument 'x' for option '--alpha' as expected type 'System.Nullable`1[System.Double]'."));
    }

    [Theory]
    [InlineData("10000")]
    [InlineData("0")]
    [InlineData("-3")]
    public void ThreadsHaveBounds(string threads)
    {
        string line = CliRunner.AssertUserError("train", "--spec", PathOf("missing.json"), "--threads", threads);
        Assert.Contains("--threads", line);
        Printable(line);
        Assert.Contains("--threads", CliRunner.AssertUserError("bench", "gemm", "--n", "8", "--threads", threads));
    }

    [Fact]
    public void AMissingOutputFolderNamesTheOption()
    {
        var (x, y) = RidgeData();
        string missing = PathOf(Path.Combine("no-such-folder", "m.safetensors"));
        string line = CliRunner.AssertUserError("fit", "ridge", "--x", x, "--y", y, "--save", missing);
        Assert.Contains("--save", line);
        Assert.Contains("does not exist", line);
        Assert.Contains("(OUT)", CliRunner.AssertUserError("convert", x, PathOf(Path.Combine("nope", "x.csv"))));
        Assert.Contains("--out", CliRunner.AssertUserError("predict", "--model", PathOf("m.safetensors"), "--x", x, "--out", PathOf(Path.Combine("nope", "p.npy"))));
    }

    [Fact]
    public async Task ANamedPipeAsAnInputFileIsRefused()
    {
        if (OperatingSystem.IsWindows()) return;
        string fifo = PathOf("pipe.npy");
        using (var process = Process.Start(new ProcessStartInfo("mkfifo", fifo) { UseShellExecute = false })!) process.WaitForExit();
        var run = Task.Run(() => CliRunner.Mtl("inspect", fifo));
        Assert.True(await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(20))) == run, "mtl inspect blocked on a FIFO");
        var (code, _, err) = await run;
        Assert.Equal(2, code);
        Assert.Contains("named pipe", err);
        string spec = PathOf("spec.json");
        using (var process = Process.Start(new ProcessStartInfo("mkfifo", spec) { UseShellExecute = false })!) process.WaitForExit();
        var train = Task.Run(() => CliRunner.Mtl("train", "--spec", spec, "--check"));
        Assert.True(await Task.WhenAny(train, Task.Delay(TimeSpan.FromSeconds(20))) == train, "mtl train blocked on a FIFO spec");
        Assert.Equal(2, (await train).Code);
    }

    [Fact]
    public void Int64ExtremesArePrintedExactly()
    {
        string path = PathOf("i.npy");
        Npy.Write(path, NdArray.Create("", new[] { long.MinValue, 0L, long.MaxValue }));
        var (code, table, _) = CliRunner.Mtl("inspect", path);
        Assert.Equal(0, code);
        Assert.Contains("-9223372036854775808", table);
        Assert.Contains("9223372036854775807", table);
        var (_, json, _) = CliRunner.Mtl("inspect", path, "--json");
        Assert.Contains("\"min\":-9223372036854775808,\"max\":9223372036854775807", json);
    }

    [Fact]
    public void ControlCharactersFromFilesAreEscapedOnStderr()
    {
        // A safetensors file whose tensor name carries ESC and U+0085, with a dtype that is not supported.
        string header = "{\"\\u001b[31mred\\u0085\":{\"dtype\":\"Q8\",\"shape\":[1],\"data_offsets\":[0,1]}}";
        byte[] json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + 1];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        string path = PathOf("evil.safetensors");
        File.WriteAllBytes(path, bytes);
        string line = CliRunner.AssertUserError("inspect", path);
        Printable(line);
        Assert.Contains("\\x1b[31mred\\x85", line);
    }

    [Fact]
    public void ModelFileProblemsAreUserErrors()
    {
        var (x, y) = RidgeData();
        string model = PathOf("m.safetensors");
        Assert.Equal(0, CliRunner.Mtl("fit", "ridge", "--x", x, "--y", y, "--save", model).Code);
        var file = Safetensors.Read(model);
        var metadata = new Dictionary<string, string>(file.Metadata) { ["alpha"] = "x" };
        Safetensors.Write(model, file.Tensors, metadata);
        Assert.Contains("alpha", CliRunner.AssertUserError("predict", "--model", model, "--x", x, "--out", PathOf("p.npy")));
        metadata[ModelFile.KindKey] = "\u001b]0;owned\u0007";
        Safetensors.Write(model, file.Tensors, metadata);
        string line = CliRunner.AssertUserError("predict", "--model", model, "--x", x, "--out", PathOf("p.npy"));
        Assert.Contains("unknown model kind", line);
        Printable(line);
    }
}
