using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Data;

/// <summary>The element types that array and model files carry.</summary>
public enum DType
{
    /// <summary>32-bit IEEE float (<c>&lt;f4</c>, safetensors F32).</summary>
    Float32,
    /// <summary>64-bit IEEE float (<c>&lt;f8</c>, F64).</summary>
    Float64,
    /// <summary>32-bit signed integer (<c>&lt;i4</c>, I32).</summary>
    Int32,
    /// <summary>64-bit signed integer (<c>&lt;i8</c>, I64).</summary>
    Int64,
    /// <summary>8-bit unsigned integer (<c>|u1</c>, U8).</summary>
    UInt8,
    /// <summary>Boolean, one byte each (<c>|b1</c>, BOOL).</summary>
    Bool,
}

/// <summary>
/// One array as files hold it: a name (for members of .npz and safetensors files), an element type, a shape
/// and the elements in row-major (C) order, as a <c>float[]</c>, <c>double[]</c>, <c>int[]</c>, <c>long[]</c>,
/// <c>byte[]</c> or <c>bool[]</c> matching <see cref="DType"/>.
/// </summary>
public sealed class NdArray
{
    /// <summary>Wraps <paramref name="data"/> (no copy) after checking that its type matches <paramref name="dtype"/> and its length the shape.</summary>
    /// <exception cref="ArgumentException">When the array type, the shape or the length do not agree.</exception>
    public NdArray(string name, DType dtype, int[] shape, Array data) => throw new NotImplementedException();

    /// <summary>The array's name ("" when the file does not name it, as in .npy and CSV).</summary>
    public string Name => throw new NotImplementedException();

    /// <summary>The element type.</summary>
    public DType DType => throw new NotImplementedException();

    /// <summary>The size of each dimension (empty for a 0-d array).</summary>
    public ReadOnlySpan<int> Shape => throw new NotImplementedException();

    /// <summary>The elements in row-major order; its element type matches <see cref="DType"/>.</summary>
    public Array Data => throw new NotImplementedException();

    /// <summary>The number of elements.</summary>
    public int Length => throw new NotImplementedException();

    /// <summary>A copy of the elements converted to double (booleans as 0 and 1).</summary>
    public double[] ToDoubleArray() => throw new NotImplementedException();

    /// <summary>A new tensor holding the elements converted to <typeparamref name="T"/>.</summary>
    public MtlTensor<T> ToTensor<T>() where T : unmanaged, INumber<T> => throw new NotImplementedException();

    /// <summary>An array holding a copy of <paramref name="tensor"/>'s elements (any layout); the dtype follows <typeparamref name="T"/>.</summary>
    public static NdArray FromTensor<T>(MtlTensor<T> tensor, string name = "") where T : unmanaged, INumber<T> => throw new NotImplementedException();
}

/// <summary>A file that could not be read: what was wrong and in which file.</summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the exception; the message starts with the file's name.</summary>
    public DataFormatException(string source, string problem, Exception? inner = null)
        : base($"{source}: {problem}", inner)
    {
        Source = source;
        Problem = problem;
    }

    /// <summary>The file (or stream name) that was being read.</summary>
    public new string Source { get; }

    /// <summary>What was wrong with it.</summary>
    public string Problem { get; }
}

/// <summary>Reads and writes any supported array file, choosing the format by extension (.npy, .npz, .safetensors, .csv).</summary>
public static class ArrayFile
{
    /// <summary>Reads every array in the file (one for .npy and .csv). For safetensors, also returns its <c>__metadata__</c>.</summary>
    /// <exception cref="DataFormatException">When the file is malformed or its extension unknown.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    public static IReadOnlyList<NdArray> Read(string path) => throw new NotImplementedException();

    /// <summary>Writes the arrays to <paramref name="path"/> in the format its extension names (.npy and .csv take exactly one array; .csv one of rank 1 or 2).</summary>
    /// <exception cref="ArgumentException">When the arrays do not fit the format.</exception>
    public static void Write(string path, IReadOnlyList<NdArray> arrays) => throw new NotImplementedException();
}
