using System.Numerics;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>SiLU (swish): x·σ(x) (PyTorch's <c>nn.SiLU</c>).</summary>
public sealed class SiLU<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.Silu();
}

/// <summary>(1/β)·log(1 + e^(βx)), linear above the threshold (PyTorch's <c>nn.Softplus(beta=1, threshold=20)</c>).</summary>
public sealed class Softplus<T> : Module<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the layer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When β is not positive.</exception>
    public Softplus(double beta = 1, double threshold = 20)
    {
        if (!(beta > 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "Softplus's beta must be positive.");
        Beta = beta;
        Threshold = threshold;
    }

    /// <summary>β, the sharpness.</summary>
    public double Beta { get; }

    /// <summary>Above β·x = threshold the layer is the identity.</summary>
    public double Threshold { get; }

    /// <inheritdoc />
    public override MtlTensor<T> Forward(MtlTensor<T> input) => input.Softplus(Beta, Threshold);
}
