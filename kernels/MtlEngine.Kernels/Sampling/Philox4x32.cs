using System.Runtime.CompilerServices;

namespace MtlEngine.Kernels.Sampling;

/// <summary>Four 32-bit words: one Philox counter, or one block of its output.</summary>
/// <param name="X0">Word 0.</param>
/// <param name="X1">Word 1.</param>
/// <param name="X2">Word 2.</param>
/// <param name="X3">Word 3.</param>
public readonly record struct PhiloxBlock(uint X0, uint X1, uint X2, uint X3)
{
    /// <summary>Words 0 and 1 as one 64-bit integer (word 1 high).</summary>
    public ulong Low64 => ((ulong)X1 << 32) | X0;

    /// <summary>Words 2 and 3 as one 64-bit integer (word 3 high).</summary>
    public ulong High64 => ((ulong)X3 << 32) | X2;
}

/// <summary>
/// Philox4x32-10, the counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers:
/// as easy as 1, 2, 3" (SC 2011), as in their Random123 library. It is a keyed bijection of a 128-bit
/// counter: output = Philox_key(counter). Block i of a stream is computed directly from (key, i) with no
/// state carried from block i − 1, so any element can be drawn by any thread in any order.
/// </summary>
/// <remarks>
/// One round, with multipliers M0, M1 and the products split into high and low 32-bit halves:
/// <code>
/// (hi0, lo0) = M0 · x0;  (hi1, lo1) = M1 · x2
/// x' = (hi1 ⊕ x1 ⊕ k0,  lo1,  hi0 ⊕ x3 ⊕ k1,  lo0)
/// </code>
/// and between rounds the key is bumped by the Weyl constants: k0 += W0, k1 += W1 (golden ratio and √3 − 1).
/// </remarks>
public static class Philox4x32
{
    /// <summary>Multiplier for words 0/1.</summary>
    public const uint M0 = 0xD2511F53;
    /// <summary>Multiplier for words 2/3.</summary>
    public const uint M1 = 0xCD9E8D57;
    /// <summary>Key bump for key word 0 (the golden ratio, 2³²/φ).</summary>
    public const uint W0 = 0x9E3779B9;
    /// <summary>Key bump for key word 1 (2³²·(√3 − 1)).</summary>
    public const uint W1 = 0xBB67AE85;
    /// <summary>The number of rounds (10, the variant with Crush-resistance margin that Random123 recommends).</summary>
    public const int Rounds = 10;

    /// <summary>Encrypts <paramref name="counter"/> under the key (<paramref name="key0"/>, <paramref name="key1"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static PhiloxBlock Generate(PhiloxBlock counter, uint key0, uint key1)
    {
        uint x0 = counter.X0, x1 = counter.X1, x2 = counter.X2, x3 = counter.X3;
        uint k0 = key0, k1 = key1;
        for (int round = 0; round < Rounds; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * x0;
            ulong p1 = (ulong)M1 * x2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0;
            uint hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (x0, x1, x2, x3) = (hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0);
        }
        return new PhiloxBlock(x0, x1, x2, x3);
    }
}
