namespace MtlEngine.Tests.Gpu;

/// <summary>Comparisons of device results with the CPU's.</summary>
internal static class DeviceAssert
{
    /// <summary>|expected − actual| ≤ tolerance·(1 + |expected|) element by element, naming the first element that is not.</summary>
    public static void Close(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * (1 + Math.Abs(expected[i])), $"{what}[{i}]: cpu {expected[i]}, ilgpu-cpu {actual[i]}");
    }
}
