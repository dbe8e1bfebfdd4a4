using MtlEngine.Kernels.Gemm;

namespace MtlEngine.Tests.Gemm;

public class MicroarchitectureTests
{
    [Theory]
    [InlineData("AuthenticAMD", 0x19, 0x01, false, Microarchitecture.Zen3)]   // EPYC Milan
    [InlineData("AuthenticAMD", 0x19, 0x21, false, Microarchitecture.Zen3)]   // Ryzen 5000 (Vermeer)
    [InlineData("AuthenticAMD", 0x19, 0x50, false, Microarchitecture.Zen3)]   // Cezanne
    [InlineData("AuthenticAMD", 0x19, 0x11, true, Microarchitecture.Zen4)]    // EPYC Genoa
    [InlineData("AuthenticAMD", 0x19, 0x61, true, Microarchitecture.Zen4)]    // Ryzen 7000 (Raphael)
    [InlineData("AuthenticAMD", 0x1A, 0x02, true, Microarchitecture.Zen5)]    // EPYC Turin
    [InlineData("AuthenticAMD", 0x17, 0x31, false, Microarchitecture.Unknown)] // Zen 2: not in the table
    [InlineData("GenuineIntel", 6, 0xCF, true, Microarchitecture.IntelAvx512)] // Emerald Rapids
    [InlineData("GenuineIntel", 6, 0x97, false, Microarchitecture.IntelAvx2)]  // Alder Lake
    [InlineData("HygonGenuine", 0x18, 0x01, false, Microarchitecture.Unknown)]
    public void Identifies_the_families_of_the_block_size_table(string vendor, int family, int model, bool avx512, Microarchitecture expected) =>
        Assert.Equal(expected, CpuDescription.Identify(vendor, family, model, avx512));

    [Fact]
    public void This_machine_is_described_and_its_model_is_one_token()
    {
        var cpu = CpuDescription.Current;
        Assert.False(string.IsNullOrEmpty(cpu.Vendor));
        Assert.DoesNotContain(' ', cpu.ModelToken);
        Assert.DoesNotContain('=', cpu.ModelToken);
        Assert.InRange(cpu.L1DataBytes, 0, 1 << 22);
        Assert.True(cpu.L2Bytes == 0 || cpu.L2Bytes >= cpu.L1DataBytes);
    }
}
