using System.Numerics;
using MtlEngine.Kernels.Gpu;

namespace MtlEngine.Tensors;

/// <summary>
/// index_select and index_add of device tensors (<see cref="GpuIndexing"/>): the host indices are uploaded once per call
/// (for index_add grouped by destination row on the host first), the tensor is read as (outer, rows, inner) around the axis.
/// </summary>
internal static class GpuIndexingOps
{
    /// <summary>out[.., j, ..] = x[.., indices[j], ..] on x's device; the indices are already checked.</summary>
    public static MtlTensor<T> Select<T>(MtlTensor<T> x, int axis, int[] indices, int[] shape) where T : unmanaged, INumber<T>
    {
        var gpu = GpuDevices.Get(x.Device);
        var (outer, rows, inner) = Split(x.Shape, axis);
        var input = x.IsContiguous ? x : GpuTensorOps.Clone(x);
        var result = new GpuStorage<T>(x.Device, (long)outer * indices.Length * inner);
        using var index = gpu.Pool.Rent<int>(Math.Max(1, indices.Length));
        if (indices.Length > 0) index.CopyFromHost(indices);
        GpuIndexing.Select(gpu, GpuTensorOps.ContiguousView(input), index.View.SubView(0, indices.Length), result.View, outer, rows, inner);
        if (!ReferenceEquals(input, x)) input.ReleaseDeviceMemory();
        return new MtlTensor<T>(result, shape);
    }

    /// <summary>A copy of x with source's slices added at the rows indices names along the axis, on x's device; the indices are already checked.</summary>
    public static MtlTensor<T> Add<T>(MtlTensor<T> x, int axis, int[] indices, MtlTensor<T> source) where T : unmanaged, INumber<T>
    {
        if (source.Device != x.Device)
            throw new InvalidOperationException($"IndexAdd: the source is on {source.Device} but the tensor on {x.Device}; move it there first.");
        var gpu = GpuDevices.Get(x.Device);
        var (outer, rows, inner) = Split(x.Shape, axis);
        var input = x.IsContiguous ? x : GpuTensorOps.Clone(x);
        var added = source.IsContiguous ? source : GpuTensorOps.Clone(source);
        var (rowStart, sources) = GpuIndexing.RowGroups(indices, rows);
        using var starts = gpu.Pool.Rent<int>(rowStart.Length);
        using var order = gpu.Pool.Rent<int>(Math.Max(1, sources.Length));
        starts.CopyFromHost(rowStart);
        if (sources.Length > 0) order.CopyFromHost(sources);
        var result = new GpuStorage<T>(x.Device, x.Length);
        GpuIndexing.Add(gpu, GpuTensorOps.ContiguousView(input), starts.View, order.View.SubView(0, sources.Length), GpuTensorOps.ContiguousView(added),
            result.View, outer, rows, inner);
        if (!ReferenceEquals(input, x)) input.ReleaseDeviceMemory();
        if (!ReferenceEquals(added, source)) added.ReleaseDeviceMemory();
        return new MtlTensor<T>(result, x.Shape);
    }

    /// <summary>out[f] = x[offsets[f]] with offsets into x's row-major elements, on x's device.</summary>
    public static MtlTensor<T> GatherAt<T>(MtlTensor<T> x, int[] offsets, int[] shape) where T : unmanaged, INumber<T>
    {
        var gpu = GpuDevices.Get(x.Device);
        var input = x.IsContiguous ? x : GpuTensorOps.Clone(x);
        var result = new GpuStorage<T>(x.Device, offsets.Length);
        using var at = gpu.Pool.Rent<int>(Math.Max(1, offsets.Length));
        at.CopyFromHost(offsets);
        GpuIndexing.GatherAt(gpu, GpuTensorOps.ContiguousView(input), at.View.SubView(0, offsets.Length), result.View.SubView(0, offsets.Length));
        if (!ReferenceEquals(input, x)) input.ReleaseDeviceMemory();
        return new MtlTensor<T>(result, shape);
    }

    /// <summary>A copy of x with source[sourceOffsets[f]] added at x's row-major element destinations[f] (f ascending), on x's device.</summary>
    public static MtlTensor<T> ScatterAddAt<T>(MtlTensor<T> x, int[] destinations, int[] sourceOffsets, MtlTensor<T> source) where T : unmanaged, INumber<T>
    {
        if (source.Device != x.Device)
            throw new InvalidOperationException($"ScatterAdd: the source is on {source.Device} but the tensor on {x.Device}; move it there first.");
        var gpu = GpuDevices.Get(x.Device);
        var input = x.IsContiguous ? x : GpuTensorOps.Clone(x);
        var added = source.IsContiguous ? source : GpuTensorOps.Clone(source);
        var (rowStart, order) = GpuIndexing.RowGroups(destinations, x.Length);
        var sources = new int[order.Length];
        for (int t = 0; t < order.Length; t++) sources[t] = sourceOffsets[order[t]];
        using var starts = gpu.Pool.Rent<int>(rowStart.Length);
        using var from = gpu.Pool.Rent<int>(Math.Max(1, sources.Length));
        starts.CopyFromHost(rowStart);
        from.CopyFromHost(sources);
        var result = new GpuStorage<T>(x.Device, x.Length);
        GpuIndexing.AddGrouped(gpu, GpuTensorOps.ContiguousView(input), starts.View, from.View.SubView(0, sources.Length), GpuTensorOps.ContiguousView(added), result.View);
        if (!ReferenceEquals(input, x)) input.ReleaseDeviceMemory();
        if (!ReferenceEquals(added, source)) added.ReleaseDeviceMemory();
        return new MtlTensor<T>(result, x.Shape);
    }

    private static (int Outer, int Rows, int Inner) Split(ReadOnlySpan<int> shape, int axis)
    {
        int outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Length; d++) inner *= shape[d];
        return (outer, shape[axis], inner);
    }
}
