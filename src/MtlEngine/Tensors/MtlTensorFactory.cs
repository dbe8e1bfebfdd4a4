using System.Numerics;

namespace MtlEngine.Tensors;

/// <summary>Creates <see cref="MtlTensor{T}"/> values.</summary>
public static partial class MtlTensor
{
    /// <summary>A contiguous tensor that takes ownership of <paramref name="data"/> (no copy).</summary>
    /// <exception cref="ArgumentException">When the product of <paramref name="shape"/> differs from the array's length.</exception>
    public static MtlTensor<T> FromArray<T>(T[] data, params int[] shape) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        int length = MtlTensor<T>.CheckedLength(shape);
        if (length != data.Length)
            throw new ArgumentException($"Shape {MtlTensor<T>.ShapeText(shape)} holds {length} elements but the array has {data.Length}.");
        return new MtlTensor<T>(new CpuStorage<T>(data), shape);
    }

    /// <summary>A contiguous tensor of zeros.</summary>
    public static MtlTensor<T> Zeros<T>(params int[] shape) where T : unmanaged, INumber<T> =>
        new(new CpuStorage<T>(MtlTensor<T>.CheckedLength(shape)), shape);
}
