namespace MtlEngine.Kernels.Convolution;

/// <summary>
/// The shape arithmetic of one 2-d sliding window over a C×H×W image (convolution or pooling): kernel
/// kh×kw, stride, zero padding and dilation per axis. Output position (oh, ow) reads input rows
/// ih = oh·strideH − padH + ki·dilationH for ki = 0 .. kh − 1 (columns likewise), and the output has
/// Ho = ⌊(H + 2·padH − dilationH·(kh − 1) − 1) / strideH⌋ + 1 rows (PyTorch's formula, floor mode).
/// </summary>
/// <param name="Channels">C, the channels of the image the window slides over.</param>
/// <param name="Height">H.</param>
/// <param name="Width">W.</param>
/// <param name="KernelHeight">kh.</param>
/// <param name="KernelWidth">kw.</param>
/// <param name="StrideHeight">The step between output rows, in input rows.</param>
/// <param name="StrideWidth">The step between output columns, in input columns.</param>
/// <param name="PadHeight">Zero rows added above and below.</param>
/// <param name="PadWidth">Zero columns added left and right.</param>
/// <param name="DilationHeight">The step between kernel rows, in input rows.</param>
/// <param name="DilationWidth">The step between kernel columns, in input columns.</param>
public readonly record struct ConvolutionGeometry(int Channels, int Height, int Width, int KernelHeight, int KernelWidth,
    int StrideHeight = 1, int StrideWidth = 1, int PadHeight = 0, int PadWidth = 0, int DilationHeight = 1, int DilationWidth = 1)
{
    /// <summary>Ho, the output rows.</summary>
    public int OutHeight => (Height + 2 * PadHeight - DilationHeight * (KernelHeight - 1) - 1) / StrideHeight + 1;

    /// <summary>Wo, the output columns.</summary>
    public int OutWidth => (Width + 2 * PadWidth - DilationWidth * (KernelWidth - 1) - 1) / StrideWidth + 1;

    /// <summary>H·W, the elements of one input plane.</summary>
    public int InputPlane => Height * Width;

    /// <summary>Ho·Wo, the elements of one output plane (the columns of the im2col matrix).</summary>
    public int OutputPlane => OutHeight * OutWidth;

    /// <summary>C·kh·kw, the rows of the im2col matrix.</summary>
    public int PatchLength => Channels * KernelHeight * KernelWidth;

    /// <summary>True for a 1×1 kernel with stride 1 and no padding: the image itself is the im2col matrix.</summary>
    public bool IsPointwise => KernelHeight == 1 && KernelWidth == 1 && StrideHeight == 1 && StrideWidth == 1 && PadHeight == 0 && PadWidth == 0;

    /// <summary>Throws when a size is not positive or the window does not fit in the padded image.</summary>
    /// <exception cref="ArgumentException">With the sizes in the message.</exception>
    public void Validate()
    {
        if (Channels < 1 || Height < 1 || Width < 1 || KernelHeight < 1 || KernelWidth < 1)
            throw new ArgumentException($"A sliding window needs positive sizes, but got {Channels} channels of {Height}×{Width} and a {KernelHeight}×{KernelWidth} kernel.");
        if (StrideHeight < 1 || StrideWidth < 1 || DilationHeight < 1 || DilationWidth < 1 || PadHeight < 0 || PadWidth < 0)
            throw new ArgumentException($"Stride ({StrideHeight}, {StrideWidth}) and dilation ({DilationHeight}, {DilationWidth}) must be ≥ 1 and padding ({PadHeight}, {PadWidth}) ≥ 0.");
        if (OutHeight < 1 || OutWidth < 1 || Height + 2 * PadHeight < DilationHeight * (KernelHeight - 1) + 1 || Width + 2 * PadWidth < DilationWidth * (KernelWidth - 1) + 1)
            throw new ArgumentException(
                $"The {KernelHeight}×{KernelWidth} kernel (dilation {DilationHeight}, {DilationWidth}) does not fit in the {Height}×{Width} input padded by ({PadHeight}, {PadWidth}); use a larger input, more padding or a smaller kernel.");
    }

    /// <summary>The output columns [start, end) whose input column ow·stride − pad + offset lies inside [0, W).</summary>
    internal (int Start, int End) ValidColumns(int offset)
    {
        // ow·s − p + offset ≥ 0  ⇔  ow ≥ ⌈(p − offset)/s⌉;   ow·s − p + offset ≤ W − 1  ⇔  ow ≤ ⌊(W − 1 + p − offset)/s⌋
        int start = Math.Max(0, CeilDiv(PadWidth - offset, StrideWidth));
        int end = Math.Min(OutWidth, FloorDiv(Width - 1 + PadWidth - offset, StrideWidth) + 1);
        return (start, Math.Max(start, end));
    }

    private static int CeilDiv(int a, int b) => -FloorDiv(-a, b);

    private static int FloorDiv(int a, int b) => a >= 0 ? a / b : -((-a + b - 1) / b);
}
