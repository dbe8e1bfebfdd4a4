namespace MtlEngine.LinearAlgebra;

/// <summary>
/// A double-double number x = Hi + Lo, |Lo| ≤ ulp(Hi)/2: about 106 significant bits (unit roundoff u² = 2⁻¹⁰⁶ ≈ 1.2e-32)
/// with the exponent range of double. Built on the error-free transformations TwoSum (Knuth: s + e = a + b exactly) and
/// TwoProduct (Dekker, here by one fused multiply-add: p + e = a·b exactly), with the arithmetic of Bailey's QD library
/// (the "accurate" addition; relative error a small multiple of u² per operation). For the small T × T problems that must
/// see past double precision: the Gramian of task gradients whose rows are dependent only up to the rounding of float64.
/// </summary>
internal readonly struct DoubleDouble : IComparable<DoubleDouble>
{
    /// <summary>The leading part: the value rounded to double.</summary>
    public readonly double Hi;

    /// <summary>The trailing part, the rounding error of <see cref="Hi"/>.</summary>
    public readonly double Lo;

    /// <summary>The number hi + lo (the caller normalizes: |lo| ≤ ulp(hi)/2).</summary>
    public DoubleDouble(double hi, double lo = 0)
    {
        Hi = hi;
        Lo = lo;
    }

    /// <summary>0.</summary>
    public static DoubleDouble Zero => default;

    /// <summary>A double, exactly.</summary>
    public static implicit operator DoubleDouble(double x) => new(x);

    /// <summary>The value rounded to double (Hi, for a normalized number).</summary>
    public static explicit operator double(DoubleDouble x) => x.Hi + x.Lo;

    /// <summary>s + e = a + b exactly, s = fl(a + b) (Knuth's TwoSum, no condition on a and b).</summary>
    public static DoubleDouble TwoSum(double a, double b)
    {
        double s = a + b, z = s - a;
        return new(s, (a - (s - z)) + (b - z));
    }

    /// <summary>s + e = a + b exactly when |a| ≥ |b| (Dekker's FastTwoSum).</summary>
    private static DoubleDouble FastTwoSum(double a, double b)
    {
        double s = a + b;
        return new(s, b - (s - a));
    }

    /// <summary>p + e = a·b exactly, p = fl(a·b): e = fma(a, b, −p) (exact unless a·b underflows).</summary>
    public static DoubleDouble TwoProduct(double a, double b)
    {
        double p = a * b;
        return new(p, Math.FusedMultiplyAdd(a, b, -p));
    }

    /// <summary>x + y: TwoSum of the leading and of the trailing parts, then two renormalizations.</summary>
    public static DoubleDouble operator +(DoubleDouble x, DoubleDouble y)
    {
        var s = TwoSum(x.Hi, y.Hi);
        var t = TwoSum(x.Lo, y.Lo);
        var u = FastTwoSum(s.Hi, s.Lo + t.Hi);
        return FastTwoSum(u.Hi, t.Lo + u.Lo);
    }

    /// <summary>−x.</summary>
    public static DoubleDouble operator -(DoubleDouble x) => new(-x.Hi, -x.Lo);

    /// <summary>x − y.</summary>
    public static DoubleDouble operator -(DoubleDouble x, DoubleDouble y) => x + -y;

    /// <summary>x·y: the exact product of the leading parts plus the cross terms (Lo·Lo is below u²).</summary>
    public static DoubleDouble operator *(DoubleDouble x, DoubleDouble y)
    {
        var p = TwoProduct(x.Hi, y.Hi);
        return FastTwoSum(p.Hi, p.Lo + (x.Hi * y.Lo + x.Lo * y.Hi));
    }

    /// <summary>x/y: long division, three quotient digits q₁ + q₂ + q₃ each from the remainder r = x − y·(q₁ + ...).</summary>
    public static DoubleDouble operator /(DoubleDouble x, DoubleDouble y)
    {
        double q1 = x.Hi / y.Hi;
        var r = x - y * q1;
        double q2 = r.Hi / y.Hi;
        r -= y * q2;
        double q3 = r.Hi / y.Hi;
        return FastTwoSum(q1, q2) + q3;
    }

    /// <summary>√x by one Newton step from the double root a: a + (x − a²)/(2a), x − a² exact in double-double. 0 for x ≤ 0.</summary>
    public static DoubleDouble Sqrt(DoubleDouble x)
    {
        if (!(x.Hi > 0)) return Zero;
        double a = Math.Sqrt(x.Hi);
        var residual = x - TwoProduct(a, a);
        return FastTwoSum(a, residual.Hi / (2 * a));
    }

    /// <summary>|x|.</summary>
    public static DoubleDouble Abs(DoubleDouble x) => x.Hi < 0 || (x.Hi == 0 && x.Lo < 0) ? -x : x;

    /// <summary>The larger of x and y.</summary>
    public static DoubleDouble Max(DoubleDouble x, DoubleDouble y) => x >= y ? x : y;

    /// <inheritdoc/>
    public int CompareTo(DoubleDouble other) => Hi != other.Hi ? Hi.CompareTo(other.Hi) : Lo.CompareTo(other.Lo);

    /// <summary>x &lt; y.</summary>
    public static bool operator <(DoubleDouble x, DoubleDouble y) => x.CompareTo(y) < 0;

    /// <summary>x &gt; y.</summary>
    public static bool operator >(DoubleDouble x, DoubleDouble y) => x.CompareTo(y) > 0;

    /// <summary>x ≤ y.</summary>
    public static bool operator <=(DoubleDouble x, DoubleDouble y) => x.CompareTo(y) <= 0;

    /// <summary>x ≥ y.</summary>
    public static bool operator >=(DoubleDouble x, DoubleDouble y) => x.CompareTo(y) >= 0;

    /// <inheritdoc/>
    public override string ToString() => $"{Hi:R} + {Lo:R}";
}
