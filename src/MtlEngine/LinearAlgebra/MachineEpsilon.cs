namespace MtlEngine.LinearAlgebra;

/// <summary>
/// Machine epsilon ε: the gap between 1 and the next larger floating-point number (NumPy's <c>finfo(dtype).eps</c>,
/// LAPACK's <c>dlamch('P')</c>), the unit of every relative tolerance and rank cut-off in the engine. Not .NET's
/// <see cref="double.Epsilon"/>, which is the smallest subnormal number.
/// </summary>
public static class MachineEpsilon
{
    /// <summary>ε of float64: 2⁻⁵² ≈ 2.220446049250313e-16.</summary>
    public const double Double = 2.220446049250313e-16;

    /// <summary>ε of float32: 2⁻²³ ≈ 1.1920929e-07.</summary>
    public const float Single = 1.1920929e-07f;
}
