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
    private readonly int[] _shape;

    /// <summary>Wraps <paramref name="data"/> (no copy) after checking that its type matches <paramref name="dtype"/> and its length the shape.</summary>
    /// <exception cref="ArgumentException">When the array type, the shape or the length do not agree.</exception>
    public NdArray(string name, DType dtype, int[] shape, Array data)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        Type expected = DTypes.ElementType(dtype);
        if (data.GetType() != expected.MakeArrayType())
            throw new ArgumentException($"A {dtype} array needs a {expected.Name}[] but got a {data.GetType().Name}.", nameof(data));
        long length = 1;
        foreach (int size in shape)
        {
            if (size < 0)
                throw new ArgumentException($"Shape {MtlTensor<float>.ShapeText(shape)} has a negative dimension.", nameof(shape));
            length *= size;
            if (length > Array.MaxLength)
                throw new ArgumentException($"Shape {MtlTensor<float>.ShapeText(shape)} has more than {Array.MaxLength} elements.", nameof(shape));
        }
        if (length != data.Length)
            throw new ArgumentException($"Shape {MtlTensor<float>.ShapeText(shape)} holds {length} elements but the data has {data.Length}.", nameof(data));
        Name = name;
        DType = dtype;
        _shape = (int[])shape.Clone();
        Data = data;
        Length = (int)length;
    }

    /// <summary>An array over <paramref name="data"/> (no copy) of the given shape (one-dimensional when none is given); the dtype follows <typeparamref name="T"/>.</summary>
    /// <exception cref="ArgumentException">When <typeparamref name="T"/> is not a file element type or the shape does not fit.</exception>
    public static NdArray Create<T>(string name, T[] data, params int[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return new NdArray(name, DTypes.Of<T>(), shape.Length == 0 ? [data.Length] : shape, data);
    }

    /// <summary>The array's name ("" when the file does not name it, as in .npy and CSV).</summary>
    public string Name { get; }

    /// <summary>The element type.</summary>
    public DType DType { get; }

    /// <summary>The size of each dimension (empty for a 0-d array).</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => _shape.Length;

    /// <summary>The elements in row-major order; its element type matches <see cref="DType"/>.</summary>
    public Array Data { get; }

    /// <summary>The number of elements.</summary>
    public int Length { get; }

    /// <summary>The same elements and shape under another name (no copy).</summary>
    public NdArray WithName(string name) => new(name, DType, _shape, Data);

    /// <summary>A copy of the elements converted to double (booleans as 0 and 1).</summary>
    public double[] ToDoubleArray() => ConvertTo<double>();

    /// <summary>A new tensor holding the elements converted to <typeparamref name="T"/>.</summary>
    /// <remarks>Values outside <typeparamref name="T"/>'s range saturate; NaN becomes 0 for integer types.</remarks>
    public MtlTensor<T> ToTensor<T>() where T : unmanaged, INumber<T> => MtlTensor.FromArray(ConvertTo<T>(), _shape);

    /// <summary>An array holding a copy of <paramref name="tensor"/>'s elements (any layout); the dtype follows <typeparamref name="T"/>.</summary>
    /// <exception cref="ArgumentException">When <typeparamref name="T"/> is not float, double, int, long or byte.</exception>
    public static NdArray FromTensor<T>(MtlTensor<T> tensor, string name = "") where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        DType dtype = DTypes.Of<T>();
        ReadOnlySpan<int> shape = tensor.Shape;
        var data = new T[tensor.Length];
        if (tensor.IsContiguous)
        {
            tensor.AsSpan().CopyTo(data);
        }
        else if (data.Length > 0)
        {
            // Walk the indices in row-major order (an odometer over the shape) and follow the strides.
            ReadOnlySpan<T> storage = tensor.CpuStorage.Span;
            ReadOnlySpan<int> strides = tensor.Strides;
            var index = new int[shape.Length];
            long position = tensor.Offset;
            for (int i = 0; i < data.Length; i++)
            {
                data[i] = storage[checked((int)position)];
                for (int d = shape.Length - 1; d >= 0; d--)
                {
                    if (++index[d] < shape[d]) { position += strides[d]; break; }
                    position -= (long)(shape[d] - 1) * strides[d];
                    index[d] = 0;
                }
            }
        }
        return new NdArray(name, dtype, shape.ToArray(), data);
    }

    /// <summary>Describes the array as <c>name: float32 (2, 3)</c>.</summary>
    public override string ToString() =>
        $"{(Name.Length > 0 ? Name + ": " : "")}{DTypes.NumpyName(DType)} {MtlTensor<float>.ShapeText(_shape)}";

    private T[] ConvertTo<T>() where T : INumberBase<T> => Data switch
    {
        T[] same => (T[])same.Clone(),
        float[] f => Convert<float, T>(f),
        double[] d => Convert<double, T>(d),
        int[] i => Convert<int, T>(i),
        long[] l => Convert<long, T>(l),
        byte[] b => Convert<byte, T>(b),
        bool[] z => Array.ConvertAll(z, v => v ? T.One : T.Zero),
        _ => throw new InvalidOperationException($"Unexpected data type {Data.GetType().Name}."),
    };

    private static TTo[] Convert<TFrom, TTo>(TFrom[] source) where TFrom : INumberBase<TFrom> where TTo : INumberBase<TTo>
    {
        var result = new TTo[source.Length];
        for (int i = 0; i < source.Length; i++) result[i] = TTo.CreateSaturating(source[i]);
        return result;
    }
}

/// <summary>Facts about each <see cref="DType"/>: element size, CLR type, and the names NumPy and safetensors use.</summary>
public static class DTypes
{
    /// <summary>Every supported dtype.</summary>
    public static IReadOnlyList<DType> All { get; } = Enum.GetValues<DType>();

    /// <summary>The size of one element in bytes.</summary>
    public static int ItemSize(DType dtype) => dtype switch
    {
        DType.Float32 or DType.Int32 => 4,
        DType.Float64 or DType.Int64 => 8,
        DType.UInt8 or DType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The CLR element type that holds it (<c>float</c>, <c>double</c>, <c>int</c>, <c>long</c>, <c>byte</c>, <c>bool</c>).</summary>
    public static Type ElementType(DType dtype) => dtype switch
    {
        DType.Float32 => typeof(float),
        DType.Float64 => typeof(double),
        DType.Int32 => typeof(int),
        DType.Int64 => typeof(long),
        DType.UInt8 => typeof(byte),
        DType.Bool => typeof(bool),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The dtype whose elements are <typeparamref name="T"/>.</summary>
    /// <exception cref="ArgumentException">When no file dtype holds <typeparamref name="T"/>.</exception>
    public static DType Of<T>() =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(int) ? DType.Int32
        : typeof(T) == typeof(long) ? DType.Int64
        : typeof(T) == typeof(byte) ? DType.UInt8
        : typeof(T) == typeof(bool) ? DType.Bool
        : throw new ArgumentException($"No array-file dtype holds {typeof(T).Name}; use float, double, int, long, byte or bool.");

    /// <summary>NumPy's name: float32, float64, int32, int64, uint8, bool.</summary>
    public static string NumpyName(DType dtype) => dtype switch
    {
        DType.Float32 => "float32",
        DType.Float64 => "float64",
        DType.Int32 => "int32",
        DType.Int64 => "int64",
        DType.UInt8 => "uint8",
        DType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };

    /// <summary>The safetensors name: F32, F64, I32, I64, U8, BOOL.</summary>
    public static string SafetensorsName(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        DType.Int64 => "I64",
        DType.UInt8 => "U8",
        DType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown dtype."),
    };
}

/// <summary>A file that could not be read: what was wrong and in which file.</summary>
public sealed class DataFormatException : Exception
{
    /// <summary>
    /// Creates the exception; the message is <c>"&lt;file&gt;: &lt;problem&gt;"</c> with every character that does not print
    /// (text copied from a hostile file: ESC, VT, U+0085, ...) escaped by <see cref="Printable.Escape"/>.
    /// </summary>
    public DataFormatException(string fileName, string problem, Exception? inner = null)
        : base(Printable.Escape($"{fileName}: {problem}"), inner)
    {
        FileName = fileName;
        Problem = problem;
    }

    /// <summary>The file (or stream name) that was being read.</summary>
    public string FileName { get; }

    /// <summary>What was wrong with it.</summary>
    public string Problem { get; }
}

/// <summary>Reads and writes any supported array file, choosing the format by extension (.npy, .npz, .safetensors, .csv).</summary>
public static class ArrayFile
{
    /// <summary>The extensions <see cref="Read"/> and <see cref="Write"/> understand.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".npy", ".npz", ".safetensors", ".csv"];

    /// <summary>Reads every array in the file (one for .npy and .csv). Safetensors metadata is dropped; use <see cref="Safetensors.Read(string)"/> to keep it.</summary>
    /// <exception cref="DataFormatException">When the file is malformed or its extension unknown.</exception>
    /// <exception cref="FileNotFoundException">When the file does not exist.</exception>
    public static IReadOnlyList<NdArray> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Extension(path) switch
        {
            ".npy" => [Npy.Read(path)],
            ".npz" => Npz.Read(path),
            ".safetensors" => Safetensors.Read(path).Tensors,
            ".csv" => [Csv.Read(path).Array],
            var other => throw new DataFormatException(path, UnknownExtension(other)),
        };
    }

    /// <summary>
    /// Writes the arrays to <paramref name="path"/> in the format its extension names (.npy and .csv take exactly one
    /// array; .csv one of rank 1 or 2). In .npz and safetensors files an array with an empty name is stored as
    /// <c>arr_0</c>, <c>arr_1</c>, ... by its position, as <c>numpy.savez</c> does.
    /// </summary>
    /// <exception cref="ArgumentException">When the arrays do not fit the format or the extension is unknown.</exception>
    public static void Write(string path, IReadOnlyList<NdArray> arrays)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(arrays);
        string extension = Extension(path);
        switch (extension)
        {
            case ".npy":
                Npy.Write(path, Single(arrays, extension));
                break;
            case ".csv":
                Csv.Write(path, Single(arrays, extension));
                break;
            case ".npz":
                Npz.Write(path, Named(arrays));
                break;
            case ".safetensors":
                Safetensors.Write(path, Named(arrays));
                break;
            default:
                throw new ArgumentException(UnknownExtension(extension), nameof(path));
        }
    }

    private static string Extension(string path) => Path.GetExtension(path).ToLowerInvariant();

    private static string UnknownExtension(string extension) =>
        $"unknown extension '{extension}'; use one of {string.Join(", ", Extensions)}";

    private static NdArray Single(IReadOnlyList<NdArray> arrays, string extension) => arrays.Count == 1
        ? arrays[0]
        : throw new ArgumentException($"A {extension} file holds exactly one array, but {arrays.Count} were given; use .npz or .safetensors for several.", nameof(arrays));

    private static NdArray[] Named(IReadOnlyList<NdArray> arrays)
    {
        var named = new NdArray[arrays.Count];
        for (int i = 0; i < named.Length; i++)
            named[i] = arrays[i].Name.Length > 0 ? arrays[i] : arrays[i].WithName($"arr_{i}");
        return named;
    }
}
