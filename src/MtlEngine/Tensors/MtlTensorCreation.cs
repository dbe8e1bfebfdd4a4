using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MtlEngine.Tensors;

// Creation: from multi-dimensional arrays and spans, constant fills, ranges, identity, scalars.
public static partial class MtlTensor
{
    /// <summary>A contiguous copy of a <c>T[rows, columns]</c> array, shape (rows, columns).</summary>
    public static MtlTensor<T> FromArray<T>(T[,] data) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        return FromSpan<T>(MultiDimensionalSpan<T>(data), data.GetLength(0), data.GetLength(1));
    }

    /// <summary>A contiguous copy of a <c>T[d0, d1, d2]</c> array, shape (d0, d1, d2).</summary>
    public static MtlTensor<T> FromArray<T>(T[,,] data) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(data);
        return FromSpan<T>(MultiDimensionalSpan<T>(data), data.GetLength(0), data.GetLength(1), data.GetLength(2));
    }

    /// <summary>A contiguous tensor holding a copy of <paramref name="data"/> (row-major) with <paramref name="shape"/>.</summary>
    /// <exception cref="ArgumentException">When the product of <paramref name="shape"/> differs from the span's length.</exception>
    public static MtlTensor<T> FromSpan<T>(ReadOnlySpan<T> data, params int[] shape) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(shape);
        int length = MtlTensor<T>.CheckedLength(shape);
        if (length != data.Length)
            throw new ArgumentException($"Shape {MtlTensor<T>.ShapeText(shape)} holds {length} elements but the span has {data.Length}.");
        return new MtlTensor<T>(new CpuStorage<T>(data.ToArray()), shape);
    }

    /// <summary>A contiguous tensor with every element equal to <paramref name="value"/>.</summary>
    public static MtlTensor<T> Full<T>(int[] shape, T value) where T : unmanaged, INumber<T>
    {
        var result = Zeros<T>(shape);
        if (value != T.Zero) result.AsSpan().Fill(value);
        return result;
    }

    /// <summary>A contiguous tensor of ones.</summary>
    public static MtlTensor<T> Ones<T>(params int[] shape) where T : unmanaged, INumber<T> => Full(shape, T.One);

    /// <summary>Zeros with the shape of <paramref name="like"/>, on its device (contiguous, new storage).</summary>
    public static MtlTensor<T> ZerosLike<T>(MtlTensor<T> like) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(like);
        return Full(like.Device, like.Shape.ToArray(), T.Zero);
    }

    /// <summary>Ones with the shape of <paramref name="like"/>, on its device (contiguous, new storage).</summary>
    public static MtlTensor<T> OnesLike<T>(MtlTensor<T> like) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(like);
        return Full(like.Device, like.Shape.ToArray(), T.One);
    }

    /// <summary>
    /// A contiguous tensor on <paramref name="device"/> with every element equal to <paramref name="value"/> (filled by a
    /// kernel on a GPU device: nothing is copied from the host).
    /// </summary>
    /// <exception cref="Kernels.Gpu.GpuDeviceUnavailableException">When the device does not exist on this machine.</exception>
    public static MtlTensor<T> Full<T>(Device device, int[] shape, T value) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(shape);
        return device.Kind == DeviceKind.Cpu ? Full(shape, value) : GpuTensorOps.Full(device, shape, value);
    }

    /// <summary>A contiguous tensor of zeros on <paramref name="device"/>.</summary>
    public static MtlTensor<T> Zeros<T>(Device device, params int[] shape) where T : unmanaged, INumber<T> => Full(device, shape, T.Zero);

    /// <summary>A contiguous tensor of ones on <paramref name="device"/>.</summary>
    public static MtlTensor<T> Ones<T>(Device device, params int[] shape) where T : unmanaged, INumber<T> => Full(device, shape, T.One);

    /// <summary>A 0-d tensor (shape <c>()</c>) holding <paramref name="value"/>.</summary>
    public static MtlTensor<T> Scalar<T>(T value) where T : unmanaged, INumber<T> =>
        new(new CpuStorage<T>([value]), ReadOnlySpan<int>.Empty);

    /// <summary>NumPy's <c>arange</c>: the 1-d tensor start, start+step, … of the values before
    /// <paramref name="stop"/>, with ⌈(stop − start) / step⌉ elements (none when that is ≤ 0). Element i is
    /// computed as start + i·step (no accumulated rounding).</summary>
    /// <exception cref="ArgumentException">When <paramref name="step"/> is 0 or the count does not fit an int.</exception>
    public static MtlTensor<T> Arange<T>(T start, T stop, T step) where T : unmanaged, INumber<T>
    {
        if (step == T.Zero)
            throw new ArgumentException("Arange needs a non-zero step.", nameof(step));
        double span = (double.CreateChecked(stop) - double.CreateChecked(start)) / double.CreateChecked(step);
        double count = Math.Ceiling(span);
        if (count > int.MaxValue)
            throw new ArgumentException($"Arange({start}, {stop}, {step}) would have {count} elements, more than {int.MaxValue}.");
        int n = count > 0 ? (int)count : 0;
        var data = new T[n];
        for (int i = 0; i < n; i++) data[i] = start + T.CreateChecked(i) * step;
        return FromArray(data, n);
    }

    /// <summary>The 1-d tensor 0, 1, …, <paramref name="stop"/> − 1.</summary>
    public static MtlTensor<T> Arange<T>(int stop) where T : unmanaged, INumber<T> => Arange(T.Zero, T.CreateChecked(stop), T.One);

    /// <summary>NumPy's <c>linspace</c>: <paramref name="count"/> evenly spaced values from
    /// <paramref name="start"/> to <paramref name="stop"/>; element i is start + i·(stop − start)/(count − 1)
    /// and the last is exactly <paramref name="stop"/> (when <paramref name="endpoint"/>; otherwise the step is
    /// (stop − start)/count and stop is excluded).</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="count"/> is negative.</exception>
    public static MtlTensor<T> Linspace<T>(T start, T stop, int count, bool endpoint = true) where T : unmanaged, IFloatingPoint<T>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var data = new T[count];
        int divisions = endpoint ? count - 1 : count;
        T step = divisions > 0 ? (stop - start) / T.CreateChecked(divisions) : T.Zero;
        for (int i = 0; i < count; i++) data[i] = start + T.CreateChecked(i) * step;
        if (endpoint && count > 1) data[count - 1] = stop;
        return FromArray(data, count);
    }

    /// <summary>The <paramref name="n"/> × <paramref name="n"/> identity matrix.</summary>
    public static MtlTensor<T> Eye<T>(int n) where T : unmanaged, INumber<T> => Eye<T>(n, n);

    /// <summary>The <paramref name="rows"/> × <paramref name="columns"/> matrix with ones on the main diagonal.</summary>
    public static MtlTensor<T> Eye<T>(int rows, int columns) where T : unmanaged, INumber<T>
    {
        var result = Zeros<T>(rows, columns);
        var span = result.AsSpan();
        for (int i = 0; i < Math.Min(rows, columns); i++) span[i * columns + i] = T.One;
        return result;
    }

    /// <summary>The elements of a multi-dimensional array in row-major order, without copying.</summary>
    private static ReadOnlySpan<T> MultiDimensionalSpan<T>(Array data) where T : unmanaged =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<byte, T>(ref MemoryMarshal.GetArrayDataReference(data)), data.Length);
}
