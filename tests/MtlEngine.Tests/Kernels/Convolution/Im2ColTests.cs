using MtlEngine.Kernels.Convolution;

namespace MtlEngine.Tests.Kernels.Convolution;

// im2col and col2im against the formula of Im2Col's summary, element by element, over geometries that take each path:
// same width (stride 1, Wo = W: one copy or add per column-matrix row), with row and column dilation, kernels wider than
// the padding, stride 1 with Wo ≠ W (a bare copy per valid image row) and the general loops (strides). Bitwise: both are
// copies and adds in the same order.
public class Im2ColTests
{
    /// <summary>(C, H, W, kh, kw, sh, sw, ph, pw, dh, dw).</summary>
    public static TheoryData<int[]> Geometries => new()
    {
        new[] { 2, 7, 6, 3, 3, 1, 1, 1, 1, 1, 1 },   // same width, 3×3 padding 1
        new[] { 3, 5, 9, 5, 5, 1, 1, 2, 2, 1, 1 },   // same width, 5×5 padding 2
        new[] { 2, 9, 9, 3, 3, 1, 1, 2, 2, 2, 2 },   // same width, dilation 2
        new[] { 1, 4, 5, 3, 5, 1, 1, 0, 2, 1, 1 },   // same width, rows unpadded
        new[] { 2, 6, 3, 1, 3, 1, 1, 0, 1, 1, 1 },   // same width, 1×3 over a 3-wide image
        new[] { 1, 3, 2, 3, 3, 1, 1, 2, 1, 2, 1 },   // same width, tall dilation: rows wholly padding
        new[] { 1, 6, 20, 2, 7, 1, 1, 1, 3, 1, 1 },  // same width, shifts of ±3 (saved columns)
        new[] { 2, 7, 8, 3, 3, 2, 1, 1, 1, 1, 1 },   // row stride 2: row by row
        new[] { 3, 9, 8, 3, 2, 2, 2, 1, 0, 1, 1 },   // strides 2, narrower output
        new[] { 2, 5, 7, 3, 3, 1, 1, 0, 0, 1, 1 },   // valid convolution (Wo < W): stride 1, row by row with bare copies
        new[] { 2, 6, 7, 3, 4, 1, 1, 1, 1, 1, 1 },   // stride 1, padded, Wo = 6 < W
        new[] { 1, 8, 9, 3, 3, 1, 1, 1, 0, 2, 2 },   // stride 1, dilation 2, Wo = 5
        new[] { 1, 3, 4, 3, 6, 1, 1, 0, 1, 1, 1 },   // stride 1, kernel wider than the image: some rows have no valid column
    };

    private static ConvolutionGeometry Geometry(int[] s) => new(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10]);

    /// <summary>The summary's formula: columns[(c·kh + ki)·kw + kj, oh·Wo + ow] = image[c, oh·sh − ph + ki·dh, ow·sw − pw + kj·dw], 0 outside.</summary>
    private static int Source(ConvolutionGeometry g, int patchRow, int position)
    {
        int c = patchRow / (g.KernelHeight * g.KernelWidth), ki = patchRow / g.KernelWidth % g.KernelHeight, kj = patchRow % g.KernelWidth;
        int ih = position / g.OutWidth * g.StrideHeight - g.PadHeight + ki * g.DilationHeight;
        int iw = position % g.OutWidth * g.StrideWidth - g.PadWidth + kj * g.DilationWidth;
        return ih < 0 || ih >= g.Height || iw < 0 || iw >= g.Width ? -1 : (c * g.Height + ih) * g.Width + iw;
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void GatherFollowsTheFormula(int[] shape)
    {
        var g = Geometry(shape);
        int stride = g.OutputPlane + 3; // a block among others: the gap after each row must stay untouched
        var image = Enumerable.Range(0, g.Channels * g.InputPlane).Select(i => (double)i + 1).ToArray();
        var columns = Enumerable.Repeat(double.NaN, (g.PatchLength - 1) * stride + g.OutputPlane + 5).ToArray();
        Im2Col.Gather<double>(image, columns, g, stride);
        for (int r = 0; r < g.PatchLength; r++)
        {
            for (int q = 0; q < g.OutputPlane; q++)
            {
                int source = Source(g, r, q);
                Assert.Equal(source < 0 ? 0.0 : image[source], columns[r * stride + q]);
            }
            for (int q = g.OutputPlane; q < stride && r * stride + q < columns.Length; q++) Assert.True(double.IsNaN(columns[r * stride + q]), $"gap ({r}, {q}) written");
        }
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void ScatterAddFollowsTheFormulaInOrder(int[] shape)
    {
        var g = Geometry(shape);
        int stride = g.OutputPlane + 2;
        var random = new Random(5);
        var columns = Enumerable.Range(0, (g.PatchLength - 1) * stride + g.OutputPlane).Select(_ => random.NextDouble() - 0.5).ToArray();
        var start = Enumerable.Range(0, g.Channels * g.InputPlane).Select(_ => random.NextDouble()).ToArray();
        var expected = (double[])start.Clone();
        for (int r = 0; r < g.PatchLength; r++)
            for (int q = 0; q < g.OutputPlane; q++)
            {
                int target = Source(g, r, q);
                if (target >= 0) expected[target] += columns[r * stride + q];
            }
        var image = (double[])start.Clone();
        Im2Col.ScatterAdd<double>(columns, image, g, stride);
        Assert.Equal(expected, image);
    }
}
