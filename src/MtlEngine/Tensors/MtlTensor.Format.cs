using System.Globalization;
using System.Text;

namespace MtlEngine.Tensors;

// Text form, NumPy-like.
public sealed partial class MtlTensor<T>
{
    /// <summary>Tensors with more elements than this print only their first and last <see cref="PrintEdgeItems"/> entries per axis (NumPy's threshold).</summary>
    public const int PrintThreshold = 1000;

    /// <summary>Entries printed at each end of an axis when a tensor is summarized.</summary>
    public const int PrintEdgeItems = 3;

    /// <summary>The element type, shape and values, like NumPy:
    /// <c>MtlTensor&lt;float&gt; shape=(2, 2)\n[[1, 2],\n [3, 4]]</c>. Large tensors are summarized with <c>...</c>;
    /// tensors not on the CPU print only their type, shape and device.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("MtlTensor<").Append(FormatTypeName()).Append("> shape=").Append(ShapeText(Shape));
        if (Storage is not CpuStorage<T> cpu)
            return text.Append(" device=").Append(Device).ToString();
        text.Append('\n');
        bool summarize = Length > PrintThreshold;
        FormatAppendValues(text, cpu.Data, 0, Offset, summarize);
        return text.ToString();
    }

    private void FormatAppendValues(StringBuilder text, T[] data, int axis, int position, bool summarize)
    {
        if (axis == Rank)
        {
            text.Append(data[position].ToString(null, CultureInfo.InvariantCulture));
            return;
        }
        int n = _shape[axis];
        text.Append('[');
        for (int i = 0; i < n; i++)
        {
            if (summarize && n > 2 * PrintEdgeItems && i == PrintEdgeItems)
            {
                text.Append("...");
                text.Append(axis == Rank - 1 ? ", " : ",\n" + new string(' ', axis + 1));
                i = n - PrintEdgeItems - 1;
                continue;
            }
            FormatAppendValues(text, data, axis + 1, position + i * _strides[axis], summarize);
            if (i < n - 1)
            {
                if (axis == Rank - 1) text.Append(", ");
                else text.Append(',').Append('\n', Rank - axis - 1).Append(' ', axis + 1);
            }
        }
        text.Append(']');
    }

    private static string FormatTypeName() => typeof(T) switch
    {
        var t when t == typeof(float) => "float",
        var t when t == typeof(double) => "double",
        var t when t == typeof(int) => "int",
        var t when t == typeof(long) => "long",
        var t when t == typeof(byte) => "byte",
        var t => t.Name,
    };
}
