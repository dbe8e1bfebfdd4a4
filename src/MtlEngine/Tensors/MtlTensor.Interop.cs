using System.Numerics;
using System.Runtime.CompilerServices;
using SNT = System.Numerics.Tensors;

namespace MtlEngine.Tensors;

// Interop with System.Numerics.Tensors' Tensor<T>, TensorSpan<T> and ReadOnlyTensorSpan<T>.
// (Package 10.0.0 no longer marks these types [Experimental("SYSLIB5001")], so no suppression is needed.)

public static partial class MtlTensor
{
    /// <summary>A contiguous copy of a System.Numerics.Tensors <c>Tensor&lt;T&gt;</c> (any strides).</summary>
    public static MtlTensor<T> FromTensor<T>(SNT.Tensor<T> tensor) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(tensor);
        return FromTensorSpan(tensor.AsReadOnlyTensorSpan());
    }

    /// <summary>A contiguous copy of the elements a <c>ReadOnlyTensorSpan&lt;T&gt;</c> addresses, honouring its strides
    /// (including stride 0 for broadcast dimensions).</summary>
    /// <exception cref="ArgumentException">When a dimension exceeds <see cref="int.MaxValue"/> elements.</exception>
    public static MtlTensor<T> FromTensorSpan<T>(SNT.ReadOnlyTensorSpan<T> span) where T : unmanaged, INumber<T>
    {
        ReadOnlySpan<nint> lengths = span.Lengths, strides = span.Strides;
        int rank = lengths.Length;
        var shape = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            if (lengths[d] > int.MaxValue)
                throw new ArgumentException($"Dimension {d} of the tensor span has {lengths[d]} elements, more than {int.MaxValue}.");
            shape[d] = (int)lengths[d];
        }
        var result = Zeros<T>(shape);
        int count = result.Length;
        if (count == 0) return result;
        Span<T> destination = result.AsSpan();
        ref T origin = ref Unsafe.AsRef(in span.GetPinnableReference());
        // Walk the source in row-major order with an odometer index and a running element offset.
        Span<nint> index = rank <= 16 ? stackalloc nint[rank] : new nint[rank];
        index.Clear();
        nint position = 0;
        for (int i = 0; i < count; i++)
        {
            destination[i] = Unsafe.Add(ref origin, position);
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                position += strides[d];
                if (index[d] < lengths[d]) break;
                position -= index[d] * strides[d];
                index[d] = 0;
            }
        }
        return result;
    }
}

public sealed partial class MtlTensor<T>
{
    /// <summary>A new System.Numerics.Tensors <c>Tensor&lt;T&gt;</c> holding a row-major copy of the elements.
    /// System.Numerics.Tensors has no 0-d tensors, so a 0-d tensor becomes shape (1,).</summary>
    public SNT.Tensor<T> ToTensor()
    {
        if (Rank == 0) return SNT.Tensor.Create(ToArray(), [(nint)1]);
        var lengths = new nint[Rank];
        for (int d = 0; d < Rank; d++) lengths[d] = _shape[d];
        return SNT.Tensor.Create(ToArray(), lengths);
    }

    /// <summary>A <c>TensorSpan&lt;T&gt;</c> over this tensor's own storage (no copy; writes show in this tensor).
    /// Works for any view with non-negative strides, broadcast (stride-0) views included.</summary>
    /// <exception cref="InvalidOperationException">When a stride is negative (a reversed view: call <c>Contiguous()</c> first) or the tensor is not on the CPU.</exception>
    public SNT.TensorSpan<T> AsTensorSpan()
    {
        var lengths = new nint[Rank];
        var strides = new nint[Rank];
        for (int d = 0; d < Rank; d++)
        {
            if (_strides[d] < 0 && _shape[d] > 1)
                throw new InvalidOperationException(
                    $"A tensor of shape {ShapeText(Shape)} with strides {ShapeText(Strides)} has a negative stride, which TensorSpan cannot express; call Contiguous() first.");
            lengths[d] = _shape[d];
            strides[d] = _shape[d] > 1 ? _strides[d] : 0;
        }
        T[] data = CpuStorage.Data;
        if (Length == 0) return new SNT.TensorSpan<T>(Array.Empty<T>(), lengths, new nint[Rank]);
        return new SNT.TensorSpan<T>(data, Offset, lengths, strides);
    }
}
