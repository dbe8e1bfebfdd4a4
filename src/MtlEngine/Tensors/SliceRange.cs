namespace MtlEngine.Tensors;

/// <summary>
/// One axis of a slice, with Python's semantics: <c>start:stop:step</c>. A missing start or stop means
/// "from the beginning" / "to the end" in the direction of <see cref="Step"/>; negative values count from
/// the end; out-of-range values are clamped; a negative step walks backwards (<c>::-1</c> reverses).
/// </summary>
/// <param name="Start">The first index taken, or null for the start in the direction of the step.</param>
/// <param name="Stop">The index where the slice stops (exclusive), or null for the end in the direction of the step.</param>
/// <param name="Step">The step between taken indices; not 0.</param>
public readonly record struct SliceRange(int? Start = null, int? Stop = null, int Step = 1)
{
    /// <summary>The whole axis (<c>:</c>).</summary>
    public static SliceRange All => new(null, null, 1);

    /// <summary>The axis reversed (<c>::-1</c>).</summary>
    public static SliceRange Reverse => new(null, null, -1);

    /// <summary>Converts a C# range (<c>1..^1</c>) into a slice with step 1.</summary>
    public static implicit operator SliceRange(Range range) => new(
        range.Start.IsFromEnd ? -range.Start.Value : range.Start.Value,
        range.End.IsFromEnd ? (range.End.Value == 0 ? null : -range.End.Value) : range.End.Value,
        1);

    /// <summary>Resolves this slice against an axis of <paramref name="length"/> elements, as Python's
    /// <c>slice.indices</c> does, and returns the first index and the number of indices taken.</summary>
    /// <exception cref="ArgumentException">When <see cref="Step"/> is 0.</exception>
    public (int Start, int Count) Resolve(int length)
    {
        if (Step == 0)
            throw new ArgumentException("A slice step cannot be 0; use a positive step, or a negative one to walk backwards.");
        // Python: lower/upper bounds for start and stop depend on the direction.
        long lower = Step > 0 ? 0 : -1, upper = Step > 0 ? length : length - 1;
        long start = Clamp(Start, Step > 0 ? lower : upper, length, lower, upper);
        long stop = Clamp(Stop, Step > 0 ? upper : lower, length, lower, upper);
        long count = Step > 0
            ? (stop > start ? (stop - start - 1) / Step + 1 : 0)
            : (start > stop ? (start - stop - 1) / -(long)Step + 1 : 0);
        return ((int)start, (int)count);
    }

    private static long Clamp(int? value, long missing, int length, long lower, long upper)
    {
        if (value is not int v) return missing;
        long x = v < 0 ? (long)v + length : v;
        return Math.Clamp(x, lower, upper);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Start?.ToString() ?? ""}:{Stop?.ToString() ?? ""}" + (Step == 1 ? "" : $":{Step}");
}
