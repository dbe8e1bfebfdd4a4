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

    /// <summary>The unit roundoff u = ε/2 of float64, 2⁻⁵³ (LAPACK's <c>dlamch('E')</c>): the largest relative error of one rounding.</summary>
    public const double UnitRoundoff = Double / 2;

    /// <summary>ε of <typeparamref name="T"/>, the gap between 1 and the next larger value (2⁻⁵² for double, 2⁻²³ for float), for generic code.</summary>
    public static T Of<T>() where T : System.Numerics.IFloatingPointIeee754<T> => T.BitIncrement(T.One) - T.One;
}
