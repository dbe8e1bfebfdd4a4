using System.Numerics;
using MtlEngine.Tensors;
using MtlEngine.Tensors.Random;

namespace MtlEngine.Nn;

/// <summary>
/// Seeded weight initializers (Glorot &amp; Bengio 2010; He et al. 2015). For a weight of shape (out, in),
/// fan_in = in and fan_out = out.
/// </summary>
public static class Init
{
    /// <summary>Xavier/Glorot uniform: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).</summary>
    public static MtlTensor<T> XavierUniform<T>(TensorRandom random, int fanOut, int fanIn, double gain = 1.0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        T bound = T.CreateChecked(gain * Math.Sqrt(6.0 / (fanIn + fanOut)));
        return Uniform(random, [fanOut, fanIn], bound);
    }

    /// <summary>Xavier/Glorot normal: N(0, σ²) with σ = gain·√(2 / (fan_in + fan_out)).</summary>
    public static MtlTensor<T> XavierNormal<T>(TensorRandom random, int fanOut, int fanIn, double gain = 1.0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.Normal([fanOut, fanIn], T.Zero, T.CreateChecked(gain * Math.Sqrt(2.0 / (fanIn + fanOut))));
    }

    /// <summary>Kaiming/He uniform for ReLU: U(−b, b) with b = √(6 / fan_in) (gain √2).</summary>
    public static MtlTensor<T> KaimingUniform<T>(TensorRandom random, int fanOut, int fanIn) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        return Uniform(random, [fanOut, fanIn], T.CreateChecked(Math.Sqrt(6.0 / fanIn)));
    }

    /// <summary>Kaiming/He normal for ReLU: N(0, 2 / fan_in).</summary>
    public static MtlTensor<T> KaimingNormal<T>(TensorRandom random, int fanOut, int fanIn) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        return random.Normal([fanOut, fanIn], T.Zero, T.CreateChecked(Math.Sqrt(2.0 / fanIn)));
    }

    /// <summary>U(−bound, bound) of the given shape (PyTorch's Linear default uses bound = 1/√fan_in for weight and bias).</summary>
    public static MtlTensor<T> Uniform<T>(TensorRandom random, int[] shape, T bound) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(bound > T.Zero)) return MtlTensor.Zeros<T>(shape);
        return random.Uniform(shape, -bound, bound);
    }
}
