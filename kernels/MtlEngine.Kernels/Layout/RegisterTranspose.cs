using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MtlEngine.Kernels.Layout;

/// <summary>
/// Square blocks transposed in registers, the one place for every kernel that needs them (the direct convolution's
/// weight gradient, the Winograd convolution's staging and output, the triangular solve's register kernel and the LU
/// panel's copies): 16×16 floats and 8×8 doubles in AVX-512 registers, 8×8 floats and 4×4 doubles in 256-bit AVX
/// registers (the latter two also for the Winograd convolution's 256-bit kernels), each one vector per row. Pure data
/// movement, so no result depends on which network moved it. The callers check the instruction set first (AVX-512 for
/// <see cref="Float16x16"/> and <see cref="Double8x8(double*, nint, double*, nint)"/>, AVX for the 256-bit ones).
/// Strides count elements.
/// </summary>
public static unsafe class RegisterTranspose
{
    /// <summary>target[j·ldt + k] = source[k·lds + j] for a 16×16 block of floats (unpack, shuffle, then two 128-bit lane shuffles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Float16x16(float* source, nint lds, float* target, nint ldt)
    {
        Vector512<float> r0 = Vector512.Load(source), r1 = Vector512.Load(source + lds), r2 = Vector512.Load(source + 2 * lds), r3 = Vector512.Load(source + 3 * lds);
        Vector512<float> r4 = Vector512.Load(source + 4 * lds), r5 = Vector512.Load(source + 5 * lds), r6 = Vector512.Load(source + 6 * lds), r7 = Vector512.Load(source + 7 * lds);
        Vector512<float> r8 = Vector512.Load(source + 8 * lds), r9 = Vector512.Load(source + 9 * lds), r10 = Vector512.Load(source + 10 * lds), r11 = Vector512.Load(source + 11 * lds);
        Vector512<float> r12 = Vector512.Load(source + 12 * lds), r13 = Vector512.Load(source + 13 * lds), r14 = Vector512.Load(source + 14 * lds), r15 = Vector512.Load(source + 15 * lds);
        // Pairs of rows interleaved by element.
        Vector512<float> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<float> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        Vector512<float> t8 = Avx512F.UnpackLow(r8, r9), t9 = Avx512F.UnpackHigh(r8, r9), t10 = Avx512F.UnpackLow(r10, r11), t11 = Avx512F.UnpackHigh(r10, r11);
        Vector512<float> t12 = Avx512F.UnpackLow(r12, r13), t13 = Avx512F.UnpackHigh(r12, r13), t14 = Avx512F.UnpackLow(r14, r15), t15 = Avx512F.UnpackHigh(r14, r15);
        // Groups of four rows: 4×4 blocks transposed within each 128-bit lane.
        r0 = Avx512F.Shuffle(t0, t2, 0x44); r1 = Avx512F.Shuffle(t0, t2, 0xEE); r2 = Avx512F.Shuffle(t1, t3, 0x44); r3 = Avx512F.Shuffle(t1, t3, 0xEE);
        r4 = Avx512F.Shuffle(t4, t6, 0x44); r5 = Avx512F.Shuffle(t4, t6, 0xEE); r6 = Avx512F.Shuffle(t5, t7, 0x44); r7 = Avx512F.Shuffle(t5, t7, 0xEE);
        r8 = Avx512F.Shuffle(t8, t10, 0x44); r9 = Avx512F.Shuffle(t8, t10, 0xEE); r10 = Avx512F.Shuffle(t9, t11, 0x44); r11 = Avx512F.Shuffle(t9, t11, 0xEE);
        r12 = Avx512F.Shuffle(t12, t14, 0x44); r13 = Avx512F.Shuffle(t12, t14, 0xEE); r14 = Avx512F.Shuffle(t13, t15, 0x44); r15 = Avx512F.Shuffle(t13, t15, 0xEE);
        // The 128-bit lanes: first among groups 0/1 (and 2/3), then between the halves.
        t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88); t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
        t4 = Avx512F.Shuffle4x128(r0, r4, 0xDD); t5 = Avx512F.Shuffle4x128(r1, r5, 0xDD); t6 = Avx512F.Shuffle4x128(r2, r6, 0xDD); t7 = Avx512F.Shuffle4x128(r3, r7, 0xDD);
        t8 = Avx512F.Shuffle4x128(r8, r12, 0x88); t9 = Avx512F.Shuffle4x128(r9, r13, 0x88); t10 = Avx512F.Shuffle4x128(r10, r14, 0x88); t11 = Avx512F.Shuffle4x128(r11, r15, 0x88);
        t12 = Avx512F.Shuffle4x128(r8, r12, 0xDD); t13 = Avx512F.Shuffle4x128(r9, r13, 0xDD); t14 = Avx512F.Shuffle4x128(r10, r14, 0xDD); t15 = Avx512F.Shuffle4x128(r11, r15, 0xDD);
        Avx512F.Shuffle4x128(t0, t8, 0x88).Store(target); Avx512F.Shuffle4x128(t1, t9, 0x88).Store(target + ldt);
        Avx512F.Shuffle4x128(t2, t10, 0x88).Store(target + 2 * ldt); Avx512F.Shuffle4x128(t3, t11, 0x88).Store(target + 3 * ldt);
        Avx512F.Shuffle4x128(t4, t12, 0x88).Store(target + 4 * ldt); Avx512F.Shuffle4x128(t5, t13, 0x88).Store(target + 5 * ldt);
        Avx512F.Shuffle4x128(t6, t14, 0x88).Store(target + 6 * ldt); Avx512F.Shuffle4x128(t7, t15, 0x88).Store(target + 7 * ldt);
        Avx512F.Shuffle4x128(t0, t8, 0xDD).Store(target + 8 * ldt); Avx512F.Shuffle4x128(t1, t9, 0xDD).Store(target + 9 * ldt);
        Avx512F.Shuffle4x128(t2, t10, 0xDD).Store(target + 10 * ldt); Avx512F.Shuffle4x128(t3, t11, 0xDD).Store(target + 11 * ldt);
        Avx512F.Shuffle4x128(t4, t12, 0xDD).Store(target + 12 * ldt); Avx512F.Shuffle4x128(t5, t13, 0xDD).Store(target + 13 * ldt);
        Avx512F.Shuffle4x128(t6, t14, 0xDD).Store(target + 14 * ldt); Avx512F.Shuffle4x128(t7, t15, 0xDD).Store(target + 15 * ldt);
    }

    /// <summary>t[j·ts + k] = s[k·ss + j] for an 8×8 block of doubles (unpack, then two rounds of 128-bit lane shuffles).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Double8x8(double* s, nint ss, double* t, nint ts) => Double8x8(ref *s, ss, ref *t, ts);

    /// <summary>
    /// t[j·ts + k] = s[k·ss + j] for an 8×8 block of doubles, on references (for callers on unpinned spans): the same
    /// network as the pointer form.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Double8x8(ref double s, nint ss, ref double t, nint ts)
    {
        Vector512<double> r0 = Vector512.LoadUnsafe(ref s), r1 = Vector512.LoadUnsafe(ref s, (nuint)ss), r2 = Vector512.LoadUnsafe(ref s, (nuint)(2 * ss)), r3 = Vector512.LoadUnsafe(ref s, (nuint)(3 * ss));
        Vector512<double> r4 = Vector512.LoadUnsafe(ref s, (nuint)(4 * ss)), r5 = Vector512.LoadUnsafe(ref s, (nuint)(5 * ss)), r6 = Vector512.LoadUnsafe(ref s, (nuint)(6 * ss)), r7 = Vector512.LoadUnsafe(ref s, (nuint)(7 * ss));
        Vector512<double> t0 = Avx512F.UnpackLow(r0, r1), t1 = Avx512F.UnpackHigh(r0, r1), t2 = Avx512F.UnpackLow(r2, r3), t3 = Avx512F.UnpackHigh(r2, r3);
        Vector512<double> t4 = Avx512F.UnpackLow(r4, r5), t5 = Avx512F.UnpackHigh(r4, r5), t6 = Avx512F.UnpackLow(r6, r7), t7 = Avx512F.UnpackHigh(r6, r7);
        r0 = Avx512F.Shuffle4x128(t0, t2, 0x88); r1 = Avx512F.Shuffle4x128(t1, t3, 0x88); r2 = Avx512F.Shuffle4x128(t0, t2, 0xDD); r3 = Avx512F.Shuffle4x128(t1, t3, 0xDD);
        r4 = Avx512F.Shuffle4x128(t4, t6, 0x88); r5 = Avx512F.Shuffle4x128(t5, t7, 0x88); r6 = Avx512F.Shuffle4x128(t4, t6, 0xDD); r7 = Avx512F.Shuffle4x128(t5, t7, 0xDD);
        Avx512F.Shuffle4x128(r0, r4, 0x88).StoreUnsafe(ref t); Avx512F.Shuffle4x128(r1, r5, 0x88).StoreUnsafe(ref t, (nuint)ts);
        Avx512F.Shuffle4x128(r2, r6, 0x88).StoreUnsafe(ref t, (nuint)(2 * ts)); Avx512F.Shuffle4x128(r3, r7, 0x88).StoreUnsafe(ref t, (nuint)(3 * ts));
        Avx512F.Shuffle4x128(r0, r4, 0xDD).StoreUnsafe(ref t, (nuint)(4 * ts)); Avx512F.Shuffle4x128(r1, r5, 0xDD).StoreUnsafe(ref t, (nuint)(5 * ts));
        Avx512F.Shuffle4x128(r2, r6, 0xDD).StoreUnsafe(ref t, (nuint)(6 * ts)); Avx512F.Shuffle4x128(r3, r7, 0xDD).StoreUnsafe(ref t, (nuint)(7 * ts));
    }

    /// <summary>
    /// t[j·ts + k] = s[k·ss + j] for an 8×8 block of floats in 256-bit AVX registers: unpack pairs of rows (2×2 blocks),
    /// shuffle pairs of those (4×4 blocks within each 128-bit half), then exchange 128-bit halves (24 shuffles for 64 values).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Float8x8(ref float s, nint ss, ref float t, nint ts)
    {
        var r0 = Vector256.LoadUnsafe(ref s);
        var r1 = Vector256.LoadUnsafe(ref s, (nuint)ss);
        var r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * ss));
        var r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * ss));
        var r4 = Vector256.LoadUnsafe(ref s, (nuint)(4 * ss));
        var r5 = Vector256.LoadUnsafe(ref s, (nuint)(5 * ss));
        var r6 = Vector256.LoadUnsafe(ref s, (nuint)(6 * ss));
        var r7 = Vector256.LoadUnsafe(ref s, (nuint)(7 * ss));
        // t0 = a0 b0 a1 b1 | a4 b4 a5 b5, t1 = a2 b2 a3 b3 | a6 b6 a7 b7 (rows a, b); likewise for c/d, e/f, g/h.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        // s0 = a0 b0 c0 d0 | a4 b4 c4 d4, s1 = a1 b1 c1 d1 | a5 .., s2 = a2 .. | a6 .., s3 = a3 .. | a7 ..; s4..s7 for rows e..h.
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Permute2x128(s0, s4, 0x20).StoreUnsafe(ref t);
        Avx.Permute2x128(s1, s5, 0x20).StoreUnsafe(ref t, (nuint)ts);
        Avx.Permute2x128(s2, s6, 0x20).StoreUnsafe(ref t, (nuint)(2 * ts));
        Avx.Permute2x128(s3, s7, 0x20).StoreUnsafe(ref t, (nuint)(3 * ts));
        Avx.Permute2x128(s0, s4, 0x31).StoreUnsafe(ref t, (nuint)(4 * ts));
        Avx.Permute2x128(s1, s5, 0x31).StoreUnsafe(ref t, (nuint)(5 * ts));
        Avx.Permute2x128(s2, s6, 0x31).StoreUnsafe(ref t, (nuint)(6 * ts));
        Avx.Permute2x128(s3, s7, 0x31).StoreUnsafe(ref t, (nuint)(7 * ts));
    }

    /// <summary>The pointer form of <see cref="Float8x8(ref float, nint, ref float, nint)"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Float8x8(float* source, nint lds, float* target, nint ldt) => Float8x8(ref *source, lds, ref *target, ldt);

    /// <summary>t[j·ts + k] = s[k·ss + j] for a 4×4 block of doubles in AVX registers (unpack, then one 128-bit lane permute).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Double4x4(double* s, nint ss, double* t, nint ts) => Double4x4(ref *s, ss, ref *t, ts);

    /// <summary>
    /// t[j·ts + k] = s[k·ss + j] for a 4×4 block of doubles, on references (for callers on unpinned spans): the same
    /// network as the pointer form.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Double4x4(ref double s, nint ss, ref double t, nint ts)
    {
        Vector256<double> r0 = Vector256.LoadUnsafe(ref s), r1 = Vector256.LoadUnsafe(ref s, (nuint)ss), r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * ss)), r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * ss));
        Vector256<double> t0 = Avx.UnpackLow(r0, r1), t1 = Avx.UnpackHigh(r0, r1), t2 = Avx.UnpackLow(r2, r3), t3 = Avx.UnpackHigh(r2, r3);
        Avx.Permute2x128(t0, t2, 0x20).StoreUnsafe(ref t); Avx.Permute2x128(t1, t3, 0x20).StoreUnsafe(ref t, (nuint)ts);
        Avx.Permute2x128(t0, t2, 0x31).StoreUnsafe(ref t, (nuint)(2 * ts)); Avx.Permute2x128(t1, t3, 0x31).StoreUnsafe(ref t, (nuint)(3 * ts));
    }
}
