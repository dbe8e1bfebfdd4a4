using System.Runtime.Intrinsics.X86;
using System.Text;

namespace MtlEngine.Kernels.Gemm;

/// <summary>The processor families whose cache sizes the GEMM block-size table is tuned for (see <see cref="GemmBlockSizes"/>).</summary>
public enum Microarchitecture
{
    /// <summary>Not recognized (or not x86): the generic blocks.</summary>
    Unknown = 0,
    /// <summary>AMD Zen 3 (family 19h, Milan/Vermeer/Cezanne): AVX2 only, 32 KiB L1d, 512 KiB L2 per core.</summary>
    Zen3,
    /// <summary>AMD Zen 4 (family 19h, Genoa/Raphael/Phoenix): AVX-512 on 256-bit pipes, 32 KiB L1d, 1 MiB L2 per core.</summary>
    Zen4,
    /// <summary>AMD Zen 5 (family 1Ah, Turin/Granite Ridge): AVX-512, 48 KiB L1d, 1 MiB L2 per core.</summary>
    Zen5,
    /// <summary>Intel server cores with AVX-512 (Skylake-SP to Emerald/Granite Rapids): 32–48 KiB L1d, 1–2 MiB L2 per core.</summary>
    IntelAvx512,
    /// <summary>Intel cores with AVX2 but no AVX-512 (Haswell to Alder Lake client cores).</summary>
    IntelAvx2,
}

/// <summary>
/// What this machine's processor is, read once from CPUID: vendor, brand string, family and model, the
/// <see cref="Microarchitecture"/> they identify, and the per-core L1 data and L2 cache sizes (0 when CPUID does not tell).
/// </summary>
/// <param name="Vendor">The CPUID vendor string ("GenuineIntel", "AuthenticAMD", ...), or the process architecture off x86.</param>
/// <param name="Model">The brand string (e.g. "AMD EPYC 7B13 64-Core Processor"), trimmed.</param>
/// <param name="Family">The display family (base family plus extended family, as the vendors' manuals define it).</param>
/// <param name="ModelNumber">The display model (extended model in the high nibble).</param>
/// <param name="Kind">The microarchitecture family identified from vendor, family, model and AVX-512 support.</param>
/// <param name="L1DataBytes">The L1 data cache of one core, in bytes (0: unknown).</param>
/// <param name="L2Bytes">The L2 cache of one core, in bytes (0: unknown).</param>
public sealed record CpuDescription(string Vendor, string Model, int Family, int ModelNumber, Microarchitecture Kind, int L1DataBytes, int L2Bytes)
{
    private static readonly Lazy<CpuDescription> CurrentValue = new(Read);

    /// <summary>This machine's processor (read once).</summary>
    public static CpuDescription Current => CurrentValue.Value;

    /// <summary>The model as one token for key=value output: spaces and '=' replaced by '_'.</summary>
    public string ModelToken => Model.Length == 0 ? "unknown" : Model.Replace(' ', '_').Replace('=', '_');

    /// <summary>
    /// The microarchitecture of an x86 processor from its CPUID vendor, display family and model. AMD family 19h models
    /// 00–0Fh, 20–2Fh, 40–5Fh are Zen 3 and 10–1Fh, 60–7Fh, A0–AFh Zen 4; family 1Ah is Zen 5. Intel is split by AVX-512.
    /// </summary>
    public static Microarchitecture Identify(string vendor, int family, int model, bool avx512)
    {
        if (vendor == "AuthenticAMD")
        {
            if (family == 0x1A) return Microarchitecture.Zen5;
            if (family == 0x19)
                return model switch
                {
                    <= 0x0F or (>= 0x20 and <= 0x2F) or (>= 0x40 and <= 0x5F) => Microarchitecture.Zen3,
                    (>= 0x10 and <= 0x1F) or (>= 0x60 and <= 0x7F) or (>= 0xA0 and <= 0xAF) => Microarchitecture.Zen4,
                    _ => avx512 ? Microarchitecture.Zen4 : Microarchitecture.Zen3,
                };
            return Microarchitecture.Unknown;
        }
        if (vendor == "GenuineIntel") return avx512 ? Microarchitecture.IntelAvx512 : Microarchitecture.IntelAvx2;
        return Microarchitecture.Unknown;
    }

    private static CpuDescription Read()
    {
        if (!X86Base.IsSupported)
            return new CpuDescription(System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString(), "", 0, 0, Microarchitecture.Unknown, 0, 0);
        var (maxLeaf, vb, vc, vd) = X86Base.CpuId(0, 0);
        string vendor = Ascii(vb, vd, vc);
        int family = 0, model = 0;
        if (maxLeaf >= 1)
        {
            int eax = X86Base.CpuId(1, 0).Eax;
            int baseFamily = (eax >> 8) & 0xF, baseModel = (eax >> 4) & 0xF;
            family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
            model = baseFamily is 0x6 or 0xF ? (((eax >> 16) & 0xF) << 4) + baseModel : baseModel;
        }
        int maxExtended = X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
        var brand = new StringBuilder();
        if ((uint)maxExtended >= 0x80000004)
            for (uint leaf = 0x80000002; leaf <= 0x80000004; leaf++)
            {
                var (a, b, c, d) = X86Base.CpuId(unchecked((int)leaf), 0);
                brand.Append(Ascii(a, b, c, d));
            }
        bool avx512 = Avx512F.IsSupported;
        var (l1, l2) = CacheSizes(vendor, maxLeaf, maxExtended);
        return new CpuDescription(vendor, string.Join(' ', brand.ToString().TrimEnd('\0').Split(' ', StringSplitOptions.RemoveEmptyEntries)),
            family, model, Identify(vendor, family, model, avx512), l1, l2);
    }

    /// <summary>The L1d and L2 sizes from the deterministic cache parameters (leaf 4 on Intel, 8000_001Dh on AMD).</summary>
    private static (int L1, int L2) CacheSizes(string vendor, int maxLeaf, int maxExtended)
    {
        int leaf = vendor == "AuthenticAMD" ? unchecked((int)0x8000001D) : 4;
        if (vendor == "AuthenticAMD" ? (uint)maxExtended < 0x8000001D : maxLeaf < 4) return (0, 0);
        int l1 = 0, l2 = 0;
        for (int sub = 0; sub < 16; sub++)
        {
            var (a, b, c, _) = X86Base.CpuId(leaf, sub);
            int type = a & 0x1F;
            if (type == 0) break;
            int level = (a >> 5) & 0x7;
            long bytes = (long)(((b >> 22) & 0x3FF) + 1) * (((b >> 12) & 0x3FF) + 1) * ((b & 0xFFF) + 1) * ((long)(uint)c + 1);
            if (level == 1 && type == 1) l1 = (int)Math.Min(bytes, int.MaxValue);
            if (level == 2 && type is 1 or 3) l2 = (int)Math.Min(bytes, int.MaxValue);
        }
        return (l1, l2);
    }

    private static string Ascii(params int[] registers)
    {
        var bytes = new byte[registers.Length * 4];
        for (int i = 0; i < registers.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(4 * i), registers[i]);
        return Encoding.ASCII.GetString(bytes);
    }
}
