namespace MtlEngine.Tensors;

/// <summary>
/// Shared, never-written arrays for the shapes and strides of tensors: a training step creates the same few shapes
/// over and over ((256, 512), (512,), ...), and every tensor used to copy its shape and strides into two new arrays.
/// <see cref="Intern"/> returns the array already made for the same values when this thread's table holds one, else a
/// new one that it keeps for next time. Sharing is safe because a tensor never writes into its shape or strides (it
/// hands them out as <see cref="ReadOnlySpan{T}"/>, and the kernels only read them).
/// </summary>
/// <remarks>
/// The table is per thread (no lock) and small: a direct-mapped hash table of <see cref="Slots"/> entries with a second
/// probe; a miss overwrites, so a program with many shapes costs one array per miss, as before, never more memory.
/// Affects allocation only, never values.
/// </remarks>
internal static class ShapeCache
{
    private const int Slots = 512, MaxRank = 8;

    [ThreadStatic] private static int[]?[]? t_table;

    /// <summary>An array holding <paramref name="values"/>: the interned one when this thread has it, else a new one (then interned).</summary>
    public static int[] Intern(ReadOnlySpan<int> values)
    {
        if (values.Length == 0) return [];
        if (values.Length > MaxRank) return values.ToArray();
        uint hash = 2166136261u ^ (uint)values.Length;
        foreach (int v in values) hash = (hash ^ (uint)v) * 16777619u; // FNV-1a over the values
        hash ^= hash >> 15;
        var table = t_table ??= new int[]?[Slots];
        int first = (int)(hash & (Slots - 1)), second = (first + 1) & (Slots - 1);
        var held = table[first];
        if (held is not null && values.SequenceEqual(held)) return held;
        var other = table[second];
        if (other is not null && values.SequenceEqual(other)) return other;
        var fresh = values.ToArray();
        if (held is null || other is not null) table[first] = fresh; else table[second] = fresh;
        return fresh;
    }

    /// <summary>Row-major strides for <paramref name="shape"/>, interned (see <see cref="MtlTensor{T}.ContiguousStrides"/>).</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        if (shape.Length > MaxRank) return MtlTensor<int>.ContiguousStrides(shape);
        Span<int> strides = stackalloc int[shape.Length];
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= Math.Max(shape[d], 1);
        }
        return Intern(strides);
    }
}
