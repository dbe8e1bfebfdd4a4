using MtlEngine.Autograd;
using MtlEngine.Kernels;
using MtlEngine.Kernels.Gpu;
using MtlEngine.Kernels.Layout;

namespace MtlEngine.Tensors;

// Layout: contiguous copies, copying between strided views, export to arrays, fill.
public sealed partial class MtlTensor<T>
{
    /// <summary>This tensor when it is already contiguous, otherwise a contiguous (row-major) copy.</summary>
    /// <param name="parallelism">Threads a large copy may use (default: one per processor).</param>
    public MtlTensor<T> Contiguous(Parallelism? parallelism = null) => IsContiguous ? this : Clone(parallelism);

    /// <summary>A contiguous copy with its own storage (always a copy, even for a contiguous tensor).</summary>
    /// <param name="parallelism">Threads a large copy may use (default: one per processor).</param>
    public MtlTensor<T> Clone(Parallelism? parallelism = null)
    {
        if (GpuTensorOps.OnDevice(this)) return Graph.Record(GpuTensorOps.Clone(this), GradientRules.Copy, this);
        var copy = new MtlTensor<T>(new CpuStorage<T>(Length), _shape);
        CopyTo(copy, parallelism);
        return Graph.Record(copy, GradientRules.Copy, this);
    }

    /// <summary>Copies every element into <paramref name="destination"/>, which must have the same shape and
    /// may be any strided view (a slice, a transpose, a reversed axis). When the two share storage and their
    /// element ranges may overlap, the source is first copied to a temporary buffer, so the result is as if
    /// all elements were read before any was written.</summary>
    /// <param name="destination">The tensor written; same shape as this one.</param>
    /// <param name="parallelism">Threads a large copy may use (default: one per processor).</param>
    /// <exception cref="ArgumentException">When the shapes differ, or <paramref name="destination"/> is a broadcast
    /// view (a stride-0 dimension of size &gt; 1), where several elements would be written to one place.</exception>
    public void CopyTo(MtlTensor<T> destination, Parallelism? parallelism = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (!Shape.SequenceEqual(destination.Shape))
            throw new ArgumentException(
                $"Cannot copy a tensor of shape {ShapeText(Shape)} into one of shape {ShapeText(destination.Shape)}; the shapes must be equal (use BroadcastTo first to broadcast).",
                nameof(destination));
        for (int d = 0; d < destination.Rank; d++)
            if (destination._strides[d] == 0 && destination._shape[d] > 1)
                throw new ArgumentException(
                    $"The destination of shape {ShapeText(destination.Shape)} has stride 0 on axis {d} (a broadcast view), so several elements would be written to one place; copy into a contiguous tensor instead.",
                    nameof(destination));
        if (Length == 0) return;
        if (GpuTensorOps.OnDevice(destination))
        {
            // Device destination: the strided-to-strided copy kernel (a host source is uploaded first: an explicit copy).
            var source0 = GpuTensorOps.OnDevice(this) || Rank == 0 ? this : To(destination.Device);
            if (ReferenceEquals(Storage, destination.Storage) && ViewsMayOverlap(this, destination)
                && !(Offset == destination.Offset && Strides.SequenceEqual(destination.Strides)))
                source0 = GpuTensorOps.Clone(this);
            GpuTensorOps.Update(destination, source0, default(SecondOperator<T>), "CopyTo");
            if (!ReferenceEquals(source0, this)) source0.ReleaseDeviceMemory();
            return;
        }
        if (GpuTensorOps.OnDevice(this))
        {
            // Device source, host destination: download (an explicit copy), then the host strided copy.
            MtlTensor.FromArray(DownloadContiguous(), _shape.ToArray()).CopyTo(destination, parallelism);
            return;
        }
        var par = parallelism ?? TensorParallelism.Current;

        MtlTensor<T> source = this;
        if (ReferenceEquals(Storage, destination.Storage) && ViewsMayOverlap(this, destination)
            && !(Offset == destination.Offset && Strides.SequenceEqual(destination.Strides)))
        {
            // Overlapping views: read everything first.
            source = new MtlTensor<T>(new CpuStorage<T>(Length), _shape);
            StridedCopy.Copy<T>(CpuStorage.Span, Offset, _strides, source.CpuStorage.Span, 0, source._strides, _shape, par);
        }
        StridedCopy.Copy<T>(source.CpuStorage.Span, source.Offset, source._strides,
            destination.CpuStorage.Span, destination.Offset, destination._strides, _shape, par);
    }

    /// <summary>The elements in row-major order in a new array.</summary>
    public T[] ToArray()
    {
        if (GpuTensorOps.OnDevice(this)) return DownloadContiguous(); // reading a device tensor on the host: an explicit copy
        var result = new T[Length];
        if (Length == 0) return result;
        if (IsContiguous)
        {
            CpuStorage.Span.Slice(Offset, Length).CopyTo(result);
            return result;
        }
        StridedCopy.Copy<T>(CpuStorage.Span, Offset, _strides, result, 0, ContiguousStrides(_shape), _shape, Parallelism.Sequential);
        return result;
    }

    /// <summary>The elements of a matrix as a new <c>T[rows, columns]</c>.</summary>
    /// <exception cref="InvalidOperationException">When the tensor is not 2-d.</exception>
    public T[,] To2DArray()
    {
        if (Rank != 2)
            throw new InvalidOperationException($"To2DArray needs a 2-d tensor, but this one has shape {ShapeText(Shape)}; reshape it first.");
        var result = new T[_shape[0], _shape[1]];
        if (Length == 0) return result;
        if (GpuTensorOps.OnDevice(this))
        {
            DownloadContiguous().CopyTo(System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
                ref System.Runtime.CompilerServices.Unsafe.As<byte, T>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(result)), Length));
            return result;
        }
        var flat = System.Runtime.InteropServices.MemoryMarshal.CreateSpan(
            ref System.Runtime.CompilerServices.Unsafe.As<byte, T>(ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(result)), Length);
        StridedCopy.Copy<T>(CpuStorage.Span, Offset, _strides, flat, 0, ContiguousStrides(_shape), _shape, Parallelism.Sequential);
        return result;
    }

    /// <summary>Sets every element of this tensor (or view) to <paramref name="value"/>, in place.</summary>
    public void Fill(T value)
    {
        if (Length == 0) return;
        if (GpuTensorOps.OnDevice(this))
        {
            GpuTensorOps.Fill(this, value);
            return;
        }
        if (IsContiguous)
        {
            CpuStorage.Span.Slice(Offset, Length).Fill(value);
            return;
        }
        // Copy a stride-0 source of the same shape: the kernel turns that into span fills.
        var zeros = new int[Rank];
        StridedCopy.Copy<T>(new[] { value }, 0, zeros, CpuStorage.Span, Offset, _strides, _shape, Parallelism.Sequential);
    }

    /// <summary>True when the storage ranges [lowest, highest] reached by the two views intersect.</summary>
    private static bool ViewsMayOverlap(MtlTensor<T> a, MtlTensor<T> b)
    {
        (long aLow, long aHigh) = a.ReachedStorageRange();
        (long bLow, long bHigh) = b.ReachedStorageRange();
        return aLow <= bHigh && bLow <= aHigh;
    }

    private (long Low, long High) ReachedStorageRange()
    {
        long low = Offset, high = Offset;
        for (int d = 0; d < Rank; d++)
        {
            long reach = (long)(_shape[d] - 1) * _strides[d];
            if (reach < 0) low += reach; else high += reach;
        }
        return (low, high);
    }
}
