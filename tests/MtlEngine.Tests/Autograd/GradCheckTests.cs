using MtlEngine.Autograd;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Tests.Autograd;

// Every differentiable operation against central finite differences in double precision.
public class GradCheckTests
{
    private static MtlTensor<double> Normal(ulong seed, params int[] shape) => new TensorRandom(seed).Normal(shape, 0.0, 1.0);

    private static MtlTensor<double> Positive(ulong seed, params int[] shape) => new TensorRandom(seed).Uniform(shape, 0.5, 2.0);

    private static void Check(Func<MtlTensor<double>[], MtlTensor<double>> f, params MtlTensor<double>[] inputs)
    {
        var result = GradCheck.Check(f, inputs);
        Assert.True(result.Passed, result.Message);
    }

    public static TheoryData<string> Unary => new()
    {
        "Negate", "Abs", "Square", "Relu", "Exp", "Log", "Log1p", "Expm1", "Tanh", "Sigmoid", "Sqrt", "Reciprocal", "Sin", "Cos",
        "PowScalar", "ScalarPow", "Clamp", "AddScalar", "SubtractScalar", "ScalarSubtract", "MultiplyScalar", "ScalarMultiply",
        "DivideScalar", "ScalarDivide", "MaximumScalar", "MinimumScalar", "ScalarAdd",
    };

    [Theory]
    [MemberData(nameof(Unary))]
    public void UnaryOperation(string name)
    {
        Func<MtlTensor<double>, MtlTensor<double>> f = name switch
        {
            "Negate" => x => -x,
            "Abs" => x => x.Abs(),
            "Square" => x => x.Square(),
            "Relu" => x => x.Relu(),
            "Exp" => x => x.Exp(),
            "Log" => x => x.Log(),
            "Log1p" => x => x.Log1p(),
            "Expm1" => x => x.Expm1(),
            "Tanh" => x => x.Tanh(),
            "Sigmoid" => x => x.Sigmoid(),
            "Sqrt" => x => x.Sqrt(),
            "Reciprocal" => x => x.Reciprocal(),
            "Sin" => x => x.Sin(),
            "Cos" => x => x.Cos(),
            "PowScalar" => x => x.Pow(2.5),
            "ScalarPow" => x => MtlTensor.Pow(1.7, x),
            "Clamp" => x => x.Clamp(0.8, 1.6),
            "AddScalar" => x => x + 3.0,
            "ScalarAdd" => x => 3.0 + x,
            "SubtractScalar" => x => x - 3.0,
            "ScalarSubtract" => x => 3.0 - x,
            "MultiplyScalar" => x => x * -2.5,
            "ScalarMultiply" => x => -2.5 * x,
            "DivideScalar" => x => x / 4.0,
            "ScalarDivide" => x => 4.0 / x,
            "MaximumScalar" => x => x.Maximum(1.1),
            "MinimumScalar" => x => x.Minimum(1.1),
            _ => throw new ArgumentException(name),
        };
        // Positive inputs away from 0 keep log, sqrt, pow and 1/x defined; relu and abs are checked on signed inputs below.
        Check(a => f(a[0]), Positive(1, 3, 4));
        if (name is "Relu" or "Abs" or "Negate" or "Tanh" or "Sigmoid" or "Square")
            Check(a => f(a[0]), Normal(2, 3, 4));
    }

    public static TheoryData<string, int[], int[]> Binary
    {
        get
        {
            var data = new TheoryData<string, int[], int[]>();
            foreach (var op in new[] { "Add", "Subtract", "Multiply", "Divide", "Maximum", "Minimum", "Pow" })
            {
                data.Add(op, [3, 4], [3, 4]);
                data.Add(op, [3, 4], [4]);      // broadcast over the leading dimension
                data.Add(op, [3, 1], [1, 4]);   // both broadcast
                data.Add(op, [2, 3, 4], [3, 1]);
                data.Add(op, [], [2, 3]);       // a 0-d operand
            }
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Binary))]
    public void BinaryOperationWithBroadcasting(string name, int[] xShape, int[] yShape)
    {
        Func<MtlTensor<double>, MtlTensor<double>, MtlTensor<double>> f = name switch
        {
            "Add" => (x, y) => x + y,
            "Subtract" => (x, y) => x - y,
            "Multiply" => (x, y) => x * y,
            "Divide" => (x, y) => x / y,
            "Maximum" => (x, y) => x.Maximum(y),
            "Minimum" => (x, y) => x.Minimum(y),
            "Pow" => (x, y) => x.Pow(y),
            _ => throw new ArgumentException(name),
        };
        Check(a => f(a[0], a[1]), Positive(3, xShape), Positive(4, yShape));
    }

    public static TheoryData<string, int[]?, bool> Reductions
    {
        get
        {
            var data = new TheoryData<string, int[]?, bool>();
            foreach (var op in new[] { "Sum", "Mean", "Max", "Min", "LogSumExp", "Variance", "Std", "Norm1", "Norm2", "Norm3", "NormInf" })
                foreach (var axes in new int[]?[] { null, [0], [1], [2], [-1], [0, 2] })
                    foreach (bool keep in new[] { false, true })
                        data.Add(op, axes, keep);
            return data;
        }
    }

    [Theory]
    [MemberData(nameof(Reductions))]
    public void ReductionOverEachAxis(string name, int[]? axes, bool keepDims)
    {
        Func<MtlTensor<double>, MtlTensor<double>> f = name switch
        {
            "Sum" => x => x.Sum(axes, keepDims),
            "Mean" => x => x.Mean(axes, keepDims),
            "Max" => x => x.Max(axes, keepDims),
            "Min" => x => x.Min(axes, keepDims),
            "LogSumExp" => x => x.LogSumExp(axes, keepDims),
            "Variance" => x => x.Variance(axes, ddof: 1, keepDims: keepDims),
            "Std" => x => x.Std(axes, ddof: 0, keepDims: keepDims),
            "Norm1" => x => x.Norm(1.0, axes, keepDims),
            "Norm2" => x => x.Norm(axes, keepDims),
            "Norm3" => x => x.Norm(3.0, axes, keepDims),
            "NormInf" => x => x.Norm(double.PositiveInfinity, axes, keepDims),
            _ => throw new ArgumentException(name),
        };
        Check(a => f(a[0]), Normal(5, 2, 3, 4));
    }

    [Fact]
    public void MaxSharesTheGradientAmongTies()
    {
        var x = MtlTensor.FromArray([1.0, 3.0, 3.0, 2.0], 4);
        x.RequiresGrad = true;
        x.Max().Backward();
        Assert.Equal([0.0, 0.5, 0.5, 0.0], x.Grad!.ToArray());
    }

    public static TheoryData<string> Views => new()
    {
        "Slice", "SliceStep", "SliceRanges", "Indexer", "Select", "Transpose", "Permute", "Reshape", "ReshapeCopy", "View", "Flatten",
        "BroadcastTo", "Expand", "Squeeze", "Unsqueeze", "Flip", "Clone", "Contiguous", "Concatenate", "Stack", "Split", "Where",
    };

    [Theory]
    [MemberData(nameof(Views))]
    public void ViewsAndCopies(string name)
    {
        Func<MtlTensor<double>[], MtlTensor<double>> f = name switch
        {
            "Slice" => a => a[0].Slice(1, 1, 3),
            "SliceStep" => a => a[0].Slice(2, 3, 0, -2),
            "SliceRanges" => a => a[0].Slice(new SliceRange(1, null), SliceRange.Reverse),
            "Indexer" => a => a[0][1.., ..^1],
            "Select" => a => a[0].Select(1, -1),
            "Transpose" => a => a[0].Transpose(),
            "Permute" => a => a[0].Permute(2, 0, 1),
            "Reshape" => a => a[0].Reshape(4, -1),
            "ReshapeCopy" => a => a[0].Transpose(0, 2).Reshape(-1),
            "View" => a => a[0].View(6, 4),
            "Flatten" => a => a[0].Flatten(),
            "BroadcastTo" => a => a[0].Slice(1, 0, 1).BroadcastTo(5, 2, 3, 4),
            "Expand" => a => a[0].Slice(2, 1, 2).Expand(-1, -1, 6),
            "Squeeze" => a => a[0].Slice(1, 2, 3).Squeeze(),
            "Unsqueeze" => a => a[0].Unsqueeze(1),
            "Flip" => a => a[0].Flip(2),
            "Clone" => a => a[0].Transpose().Clone(),
            "Contiguous" => a => a[0].Transpose().Contiguous(),
            "Concatenate" => a => MtlTensor.Concatenate([a[0], a[0].Slice(1, 0, 2).Square(), a[1]], axis: 1),
            "Stack" => a => MtlTensor.Stack([a[0], a[0].Exp()], axis: -1),
            "Split" => a => a[0].Split(2, axis: 2)[1] * a[0].Split(2, axis: 2)[0],
            "Where" => a => MtlTensor.Where(a[0].Greater(0.0), a[0].Square(), a[1].Slice(1, 0, 3)),
            _ => throw new ArgumentException(name),
        };
        // Every view is followed by a non-linear step so that a wrong placement of the gradient shows.
        Check(a => f(a).Square(), Normal(6, 2, 3, 4), Normal(7, 2, 4, 4));
    }

    public static TheoryData<int[], int[]> MatmulShapes => new()
    {
        { [3, 4], [4, 5] },
        { [1, 7], [7, 2] },
        { [4], [4, 3] },
        { [3, 4], [4] },
        { [4], [4] },
        { [2, 3, 4], [4, 5] },
        { [2, 3, 4], [2, 4, 5] },
        { [3, 4], [2, 4, 5] },
        { [2, 1, 3, 4], [3, 4, 2] },
    };

    [Theory]
    [MemberData(nameof(MatmulShapes))]
    public void MatmulWithBatchesAndVectors(int[] xShape, int[] yShape) =>
        Check(a => a[0].Matmul(a[1]), Normal(8, xShape), Normal(9, yShape));

    [Fact]
    public void MatmulOfTransposedViews() =>
        Check(a => a[0].Transpose().Matmul(a[1].Slice(1, 1, 4)), Normal(10, 5, 3), Normal(11, 5, 6));

    /// <summary>X·Wᵀ as Linear computes it: W's gradient comes back through the (Gᵀ·X)ᵀ path, in W's own layout.</summary>
    [Theory]
    [InlineData(3, 4, 5)]
    [InlineData(1, 7, 2)]
    [InlineData(5, 1, 3)]
    public void MatmulWithATransposedRightOperand(int rows, int inner, int outputs) =>
        Check(a => a[0].Matmul(a[1].Transpose()).Tanh(), Normal(12, rows, inner), Normal(13, outputs, inner));

    /// <summary>
    /// The (Gᵀ·X)ᵀ path against the textbook Xᵀ·G for W in X·Wᵀ: the same products, and W.Grad is a row-major tensor.
    /// </summary>
    [Fact]
    public void TheTransposedOperandsGradientEqualsTheTextbookProduct()
    {
        var x = Normal(14, 33, 70);
        var w = Normal(15, 19, 70);
        var g = Normal(16, 33, 19);
        var leaf = w.Detach();
        leaf.RequiresGrad = true;
        var y = x.Matmul(leaf.Transpose());
        y.Backward(g);
        var textbook = x.Transpose().Matmul(g).Transpose().Contiguous(); // (Xᵀ·G)ᵀ, the gradient of W
        Assert.True(leaf.Grad!.IsContiguous);
        var got = leaf.Grad.ToArray();
        var want = textbook.ToArray();
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(got[i] - want[i]) <= 1e-12 * (1 + Math.Abs(want[i])), $"element {i}: {got[i]} against {want[i]}");
    }
}
