namespace MtlEngine.Tensors;

// Element access by n-d index.
public sealed partial class MtlTensor<T>
{
    /// <summary>The element at <paramref name="indices"/> (one per axis; negative values count from the end). On a device each
    /// access copies one element between host and device: for inspection, not for loops.</summary>
    /// <exception cref="ArgumentException">When the number of indices differs from the rank.</exception>
    /// <exception cref="ArgumentOutOfRangeException">When an index is outside its axis.</exception>
    // Named so that the indexers do not clash with the Item() method (an indexer compiles to a property "Item").
    [System.Runtime.CompilerServices.IndexerName("ItemAt")]
    public T this[params int[] indices]
    {
        get => Storage is CpuStorage<T> cpu ? cpu.Data[StorageIndexOf(indices)] : GpuTensorOps.Read(this, StorageIndexOf(indices));
        set
        {
            if (Storage is CpuStorage<T> cpu) cpu.Data[StorageIndexOf(indices)] = value;
            else GpuTensorOps.Write(this, StorageIndexOf(indices), value);
        }
    }

    /// <summary>The only element of a tensor with one element (any rank, e.g. a 0-d scalar or shape (1, 1)).</summary>
    /// <exception cref="InvalidOperationException">When the tensor does not hold exactly one element.</exception>
    public T Item()
    {
        if (Length != 1)
            throw new InvalidOperationException($"Item() needs a tensor with exactly one element, but this one has shape {ShapeText(Shape)} ({Length} elements).");
        // On a device: the one element is read back (a scalar result read on the host, which waits for the kernels).
        return Storage is CpuStorage<T> cpu ? cpu.Data[Offset] : GpuTensorOps.Read(this, Offset);
    }

    /// <summary>The storage position of the element at <paramref name="indices"/>, bounds-checked.</summary>
    private int StorageIndexOf(int[] indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        if (indices.Length != Rank)
            throw new ArgumentException($"{indices.Length} indices were given for a tensor of shape {ShapeText(Shape)} (rank {Rank}); give one per axis.");
        long position = Offset;
        for (int d = 0; d < Rank; d++)
        {
            int i = indices[d];
            if (i < 0) i += _shape[d];
            if (i < 0 || i >= _shape[d])
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"Index {indices[d]} is out of range for axis {d} of size {_shape[d]} in a tensor of shape {ShapeText(Shape)} (indices {ShapeText(indices)}).");
            position += (long)i * _strides[d];
        }
        return (int)position;
    }
}
