using System.Numerics;

namespace MtlEngine.Tensors;

/// <summary>
/// A dense n-dimensional tensor of <typeparamref name="T"/> (<see cref="float"/> or <see cref="double"/>, and
/// integer types for labels and indices): a view of a <see cref="TensorStorage{T}"/> given by an offset,
/// a shape and strides (in elements). Views (slices, transposes, broadcasts) share storage; nothing is
/// copied unless an operation says so.
/// Its one reason to exist among the matrix types: it is THE public type for data, parameters and models (any rank,
/// float or double, CPU or device, autograd); use it at every public boundary. The others are for the inside of an
/// algorithm: <see cref="LinearAlgebra.DenseMatrix"/> for a factorization's float64 operands, a
/// <see cref="Kernels.Gemm.MatrixSpan{T}"/> for a kernel's strided view (see the README, "Matrix types").
/// </summary>
/// <remarks>Named <c>MtlTensor</c> so that it does not collide with System.Numerics.Tensors' <c>Tensor&lt;T&gt;</c>.</remarks>
/// <typeparam name="T">The element type.</typeparam>
public sealed partial class MtlTensor<T> where T : unmanaged, INumber<T>
{
    private int[] _shape;   // set by the constructor (or by Initialize for a tensor of the backward pass's pool)
    private int[] _strides; // replaced otherwise only by MoveTo (a parameter moved to another device)

    /// <summary>Creates a view of <paramref name="storage"/>. Checks that every element the view can reach is inside the storage.</summary>
    /// <exception cref="ArgumentException">When shape and strides differ in length, a dimension is negative, or the view reaches outside the storage.</exception>
    public MtlTensor(TensorStorage<T> storage, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        Initialize(storage, offset, shape, strides);
    }

    /// <summary>
    /// A view as the constructor makes it, but taken from this thread's <see cref="TensorPool{T}"/> while a backward pass
    /// lends tensors (its intermediate gradients, which never leave the pass), else new. Operations create their results here.
    /// </summary>
    internal static MtlTensor<T> Create(TensorStorage<T> storage, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        var pooled = TensorPool<T>.TakeTensor();
        if (pooled is null) return new MtlTensor<T>(storage, offset, shape, strides);
        pooled.Initialize(storage, offset, shape, strides);
        return pooled;
    }

    /// <summary><see cref="Create(TensorStorage{T}, int, ReadOnlySpan{int}, ReadOnlySpan{int})"/> of a contiguous tensor starting at element 0.</summary>
    internal static MtlTensor<T> Create(TensorStorage<T> storage, ReadOnlySpan<int> shape) =>
        Create(storage, 0, shape, ShapeCache.ContiguousStrides(shape));

    /// <summary>Makes this object the view (storage, offset, shape, strides), with no gradient, node or grad flag.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(_shape), nameof(_strides), nameof(Storage))]
    private void Initialize(TensorStorage<T> storage, int offset, ReadOnlySpan<int> shape, ReadOnlySpan<int> strides)
    {
        ArgumentNullException.ThrowIfNull(storage);
        if (shape.Length != strides.Length)
            throw new ArgumentException($"Shape {ShapeText(shape)} has {shape.Length} dimensions but {strides.Length} strides were given.");
        Storage = storage;
        Offset = offset;
        Node = null;
        Grad = null;
        _requiresGrad = false;
        _shape = ShapeCache.Intern(shape);     // shared with every tensor of the same shape: never written
        _strides = ShapeCache.Intern(strides);
        Length = CheckedLength(_shape);
        if (Length > 0)
        {
            long lowest = offset, highest = offset;
            for (int d = 0; d < _shape.Length; d++)
            {
                long reach = (long)(_shape[d] - 1) * _strides[d];
                if (reach < 0) lowest += reach; else highest += reach;
            }
            if (lowest < 0 || highest >= storage.Length)
                throw new ArgumentException(
                    $"A view with offset {offset}, shape {ShapeText(shape)} and strides {ShapeText(strides)} reaches elements [{lowest}, {highest}] outside a storage of {storage.Length} elements.");
        }
    }

    /// <summary>A tensor of the backward pass's pool comes back: it points at <paramref name="retired"/> (reading it throws) until lent again.</summary>
    internal void Retire(TensorStorage<T> retired)
    {
        Storage = retired;
        Node = null;
        Grad = null;
    }

    /// <summary>Creates a contiguous (row-major) tensor over <paramref name="storage"/> starting at element 0.</summary>
    public MtlTensor(TensorStorage<T> storage, ReadOnlySpan<int> shape)
        : this(storage, 0, shape, ShapeCache.ContiguousStrides(shape)) { }

    /// <summary>The buffer this tensor views.</summary>
    public TensorStorage<T> Storage { get; private set; }

    /// <summary>The index in <see cref="Storage"/> of the element at all-zero indices.</summary>
    public int Offset { get; private set; }

    /// <summary>The size of each dimension.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The step in storage elements for each dimension (0 for a broadcast dimension, negative allowed).</summary>
    public ReadOnlySpan<int> Strides => _strides;

    /// <summary>The shape's own array (shared through <see cref="ShapeCache"/>: read only; saves a copy per operation).</summary>
    internal int[] ShapeArray => _shape;

    /// <summary>The strides' own array, for the kernels' views (read only; saves a copy per operation).</summary>
    internal int[] StridesArray => _strides;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements (the product of the shape; 1 for a 0-d tensor).</summary>
    public int Length { get; private set; }

    /// <summary>The device the storage lives on.</summary>
    public Device Device => Storage.Device;

    /// <summary>True when the elements are laid out row-major without gaps, so that they form one span (always true for an empty tensor).</summary>
    public bool IsContiguous
    {
        get
        {
            if (Length == 0) return true; // nothing to lay out: an empty span describes it
            int expected = 1;
            for (int d = _shape.Length - 1; d >= 0; d--)
            {
                if (_shape[d] != 1 && _strides[d] != expected) return false;
                expected *= _shape[d];
            }
            return true;
        }
    }

    /// <summary>The size of dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int Dim(int axis) => _shape[NormalizeAxis(axis, Rank)];

    /// <summary>The host storage, or a clear error when the tensor lives on another device.</summary>
    /// <exception cref="InvalidOperationException">When the tensor is not on the CPU.</exception>
    public CpuStorage<T> CpuStorage => Storage as CpuStorage<T>
        ?? throw new InvalidOperationException($"This operation needs a tensor on the cpu, but the tensor is on {Device}; move it with To(Device.Cpu) first.");

    /// <summary>The elements as one span when the tensor is contiguous and on the CPU.</summary>
    /// <exception cref="InvalidOperationException">When the tensor is not contiguous (call <c>Contiguous()</c>) or not on the CPU.</exception>
    public Span<T> AsSpan()
    {
        if (!IsContiguous)
            throw new InvalidOperationException($"A tensor of shape {ShapeText(Shape)} with strides {ShapeText(Strides)} is not contiguous; call Contiguous() first.");
        return CpuStorage.Span.Slice(Offset, Length);
    }

    /// <summary>Row-major strides for <paramref name="shape"/>.</summary>
    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= Math.Max(shape[d], 1);
        }
        return strides;
    }

    /// <summary>The product of <paramref name="shape"/>, checked for negative sizes and overflow.</summary>
    /// <exception cref="ArgumentException">When a size is negative or the product exceeds <see cref="int.MaxValue"/>.</exception>
    public static int CheckedLength(ReadOnlySpan<int> shape)
    {
        long length = 1;
        foreach (int size in shape)
        {
            if (size < 0)
                throw new ArgumentException($"Shape {ShapeText(shape)} has a negative dimension.");
            length *= size;
            if (length > int.MaxValue)
                throw new ArgumentException($"Shape {ShapeText(shape)} has more than {int.MaxValue} elements.");
        }
        return (int)length;
    }

    /// <summary>Resolves a possibly negative axis against <paramref name="rank"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When the axis is outside [-rank, rank).</exception>
    public static int NormalizeAxis(int axis, int rank)
    {
        int resolved = axis < 0 ? axis + rank : axis;
        if (resolved < 0 || resolved >= rank)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"Axis {axis} is out of range for a tensor of rank {rank}.");
        return resolved;
    }

    /// <summary>Formats a shape as <c>(2, 3)</c>.</summary>
    public static string ShapeText(ReadOnlySpan<int> shape) =>
        shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";
}
