using MtlEngine.Data;

namespace MtlEngine.Tests.Data;

/// <summary>Files NumPy (and the fixture script's safetensors writer) wrote load here with the values they recorded.</summary>
public class NumpyFixtureTests
{
    public static TheoryData<string> FixtureFiles() => new(DataFixtures.Load().Keys.Order());

    [Theory]
    [MemberData(nameof(FixtureFiles))]
    public void FixtureLoadsWithRecordedValues(string file)
    {
        List<DataFixtures.Expected> expected = DataFixtures.Load()[file];
        IReadOnlyList<NdArray> arrays = ArrayFile.Read(DataFixtures.PathOf(file));
        Assert.Equal(expected.Select(e => e.Name).Order(), arrays.Select(a => a.Name).Order());
        foreach (DataFixtures.Expected e in expected)
            DataFixtures.AssertMatches(e, arrays.Single(a => a.Name == e.Name), $"{file}[{e.Name}]");
    }

    [Theory]
    [InlineData("c_f4.npy")]
    [InlineData("c_f8.npy")]
    [InlineData("c_i4.npy")]
    [InlineData("c_i8.npy")]
    [InlineData("c_u1.npy")]
    [InlineData("c_b1.npy")]
    [InlineData("scalar_f8.npy")]
    [InlineData("empty_i4_2x0x4.npy")]
    [InlineData("vector_f8_1000.npy")]
    public void OurWriterReproducesNumpysBytes(string file)
    {
        // A little-endian C-order version 1.0 file that NumPy wrote, read and written again, is the same bytes.
        byte[] numpyBytes = File.ReadAllBytes(DataFixtures.PathOf("numpy/" + file));
        NdArray array = Npy.Read(new MemoryStream(numpyBytes), file);
        var ours = new MemoryStream();
        Npy.Write(ours, array);
        Assert.Equal(numpyBytes, ours.ToArray());
    }

    [Fact]
    public void FortranAndBigEndianFilesEqualTheirCOrderLittleEndianTwins()
    {
        NdArray fortran = Npy.Read(DataFixtures.PathOf("numpy/fortran_f8.npy"));
        Assert.Equal([2, 3, 4], fortran.Shape.ToArray());
        // sample() values are increasing in C order: (i - n/2) * 1.25 + 0.1.
        double[] values = fortran.ToDoubleArray();
        for (int i = 0; i < values.Length; i++) Assert.Equal((i - 12) * 1.25 + 0.1, values[i]);

        foreach (string code in new[] { "f4", "f8", "i4", "i8" })
        {
            NdArray big = Npy.Read(DataFixtures.PathOf($"numpy/be_{code}.npy"));
            NdArray little = Npy.Read(DataFixtures.PathOf($"numpy/c_{code}.npy"));
            Assert.Equal(little.DType, big.DType);
            // Both come from sample(): the first six values of the (3, 2) big-endian array equal the (2, 3) little-endian one.
            Assert.Equal(little.ToDoubleArray(), big.ToDoubleArray());
        }
    }

    [Fact]
    public void SafetensorsFixtureKeepsItsMetadata()
    {
        SafetensorsFile file = Safetensors.Read(DataFixtures.PathOf("safetensors/model.safetensors"));
        Assert.Equal(DataFixtures.Metadata("safetensors/model.safetensors.metadata"), file.Metadata.ToDictionary());
        Assert.Equal(12, file["step"].ToDoubleArray()[0]);
        Assert.Equal(0, file["step"].Rank);
    }
}
