namespace MtlEngine.Tensors;

/// <summary>
/// NumPy's broadcasting rules. Shapes are aligned at their last dimension; missing leading dimensions count
/// as 1; two sizes are compatible when they are equal or one of them is 1, and the result takes the other
/// (so 1 with 0 gives 0, while 0 with 3 is incompatible). A broadcast operand is read with stride 0 along
/// every dimension it stretches.
/// </summary>
public static class Broadcast
{
    /// <summary>The shape that <paramref name="a"/> and <paramref name="b"/> broadcast to.</summary>
    /// <exception cref="ArgumentException">When the shapes are incompatible; the message names both.</exception>
    public static int[] Shapes(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        var result = new int[Math.Max(a.Length, b.Length)];
        ShapesInto(a, b, result);
        return result;
    }

    /// <summary><see cref="Shapes(ReadOnlySpan{int}, ReadOnlySpan{int})"/> written into <paramref name="result"/> (of the larger rank).</summary>
    internal static void ShapesInto(ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> result)
    {
        int rank = Math.Max(a.Length, b.Length);
        for (int d = 1; d <= rank; d++)
        {
            int sa = d <= a.Length ? a[^d] : 1;
            int sb = d <= b.Length ? b[^d] : 1;
            if (sa != sb && sa != 1 && sb != 1)
                throw new ArgumentException(
                    $"Shapes {ShapeText(a)} and {ShapeText(b)} cannot be broadcast together: dimension {rank - d} (counted from the result's first) " +
                    $"has sizes {sa} and {sb}; sizes must be equal or one of them 1. Reshape or unsqueeze one operand so the dimensions line up.");
            result[rank - d] = sa == 1 ? sb : sa;
        }
    }

    /// <summary>The shape that all of <paramref name="shapes"/> broadcast to (a 0-d shape for none).</summary>
    /// <exception cref="ArgumentException">When two of the shapes are incompatible.</exception>
    public static int[] Shapes(params int[][] shapes)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        int[] result = [];
        foreach (int[] shape in shapes) result = Shapes(new ReadOnlySpan<int>(result), new ReadOnlySpan<int>(shape));
        return result;
    }

    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> broadcast together.</summary>
    public static bool AreCompatible(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        for (int d = 1; d <= Math.Min(a.Length, b.Length); d++)
            if (a[^d] != b[^d] && a[^d] != 1 && b[^d] != 1) return false;
        return true;
    }

    /// <summary>
    /// The strides with which an operand of <paramref name="shape"/> and <paramref name="strides"/> is read as
    /// an array of <paramref name="target"/> shape: its own stride where the sizes match, 0 where it is
    /// stretched from size 1 or where it lacks the (leading) dimension.
    /// </summary>
    /// <exception cref="ArgumentException">When <paramref name="shape"/> does not broadcast to <paramref name="target"/>.</exception>
    public static int[] StridesTo(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> target)
    {
        var result = new int[target.Length];
        StridesInto(shape, strides, target, result);
        return result;
    }

    /// <summary><see cref="StridesTo"/> written into <paramref name="result"/> (of the target's rank).</summary>
    internal static void StridesInto(ReadOnlySpan<int> shape, ReadOnlySpan<int> strides, ReadOnlySpan<int> target, Span<int> result)
    {
        if (shape.Length != strides.Length)
            throw new ArgumentException($"Shape {ShapeText(shape)} has {shape.Length} dimensions but {strides.Length} strides were given.");
        if (shape.Length > target.Length)
            throw new ArgumentException($"Shape {ShapeText(shape)} cannot be broadcast to {ShapeText(target)}: it has more dimensions.");
        result.Clear();
        for (int d = 1; d <= target.Length; d++)
        {
            if (d > shape.Length) continue;
            int size = shape[^d];
            if (size == target[^d]) result[^d] = size == 1 ? 0 : strides[^d];
            else if (size == 1) result[^d] = 0;
            else
                throw new ArgumentException(
                    $"Shape {ShapeText(shape)} cannot be broadcast to {ShapeText(target)}: dimension {target.Length - d} has size {size}, not {target[^d]} or 1.");
        }
    }

    private static string ShapeText(ReadOnlySpan<int> shape) => MtlTensor<int>.ShapeText(shape);
}
