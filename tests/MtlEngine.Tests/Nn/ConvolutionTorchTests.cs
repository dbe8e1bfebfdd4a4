using System.Text.Json;
using MtlEngine.Data;
using MtlEngine.Nn;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Nn;

// Against PyTorch 1.13 (Fixtures/Nn/make_conv_fixtures.py): convolution and pooling values and gradients in float64 on
// closed-form inputs, and a small CNN's float32 logits from its saved state dict.
public class ConvolutionTorchTests
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "Nn");
    private static readonly JsonElement Root = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "conv_fixtures.json"))).RootElement;

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    private static double[] Doubles(JsonElement e) => e.EnumerateArray().Select(v => v.GetDouble()).ToArray();

    private static MtlTensor<T> Closed<T>(int[] shape, Func<int, double> f) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return MtlTensor.FromArray(Enumerable.Range(0, n).Select(i => T.CreateChecked(f(i))).ToArray(), shape);
    }

    private static MtlTensor<T> X<T>(int[] shape) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> => Closed<T>(shape, i => Math.Sin(0.37 * i + 0.1));

    private static void AssertClose(double[] expected, MtlTensor<double>? actual, string what)
    {
        Assert.NotNull(actual);
        var a = actual!.ToArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= 1e-10 * (1 + Math.Abs(expected[i])), $"{what}[{i}]: PyTorch {expected[i]:R}, ours {a[i]:R}");
    }

    public static TheoryData<string> Cases => new(Root.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));

    [Theory]
    [MemberData(nameof(Cases))]
    public void ValuesAndGradientsMatchPyTorch(string name)
    {
        var c = Root.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        string op = c.GetProperty("op").GetString()!;
        var x = X<double>(Ints(c.GetProperty("x")));
        x.RequiresGrad = true;
        MtlTensor<double>? w = null, b = null;
        if (op.StartsWith("conv", StringComparison.Ordinal))
        {
            var ws = Ints(c.GetProperty("weight"));
            w = Closed<double>(ws, i => Math.Cos(0.23 * i) / 2);
            b = Closed<double>([ws[0]], i => Math.Sin(i + 0.5) / 10);
            w.RequiresGrad = b.RequiresGrad = true;
        }
        (int, int) Pair(string key) { var v = Ints(c.GetProperty(key)); return (v[0], v[1]); }
        var y = op switch
        {
            "conv2d" => x.Conv2d(w!, b, Pair("stride"), Pair("padding"), Pair("dilation"), c.GetProperty("groups").GetInt32()),
            "conv1d" => x.Conv1d(w!, b, Ints(c.GetProperty("stride"))[0], Ints(c.GetProperty("padding"))[0], Ints(c.GetProperty("dilation"))[0], c.GetProperty("groups").GetInt32()),
            "max_pool2d" => x.MaxPool2d(Pair("kernel"), Pair("stride"), Pair("padding")),
            "avg_pool2d" => x.AvgPool2d(Pair("kernel"), Pair("stride"), Pair("padding"), c.GetProperty("count_include_pad").GetBoolean()),
            "adaptive_avg_pool2d" => x.AdaptiveAvgPool2d(Pair("output_size")),
            _ => throw new InvalidOperationException(op),
        };
        Assert.Equal(Ints(c.GetProperty("y_shape")), y.Shape.ToArray());
        AssertClose(Doubles(c.GetProperty("y")), y, "y");
        y.Backward(Closed<double>(y.Shape.ToArray(), i => Math.Cos(0.11 * i + 0.3)));
        AssertClose(Doubles(c.GetProperty("dx")), x.Grad, "dx");
        if (w is null) return;
        AssertClose(Doubles(c.GetProperty("dweight")), w.Grad, "dweight");
        AssertClose(Doubles(c.GetProperty("dbias")), b!.Grad, "dbias");
    }

    [Fact]
    public void SmallCnnFromPyTorchsStateDictGivesItsLogits()
    {
        var random = new TensorRandom(1); // overwritten by the state dict
        var net = new Sequential<float>(new Conv2d<float>(1, 4, (3, 3), random, padding: (1, 1)), new ReLU<float>(), new MaxPool2d<float>(2),
            new Conv2d<float>(4, 6, (3, 3), random), new Flatten<float>(), new Linear<float>(54, 5, random));
        net.LoadStateDict(Safetensors.Read(Path.Combine(Folder, "small_cnn.safetensors")).Tensors);
        var cnn = Root.GetProperty("small_cnn");
        var logits = net.Forward(X<float>(Ints(cnn.GetProperty("input"))));
        Assert.Equal(Ints(cnn.GetProperty("logits_shape")), logits.Shape.ToArray());
        var expected = Doubles(cnn.GetProperty("logits"));
        var actual = logits.ToArray();
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * scale, $"logit {i}: PyTorch {expected[i]:R}, ours {actual[i]:R}");
    }
}
