namespace MtlEngine.Tests;

/// <summary>
/// Test classes that count the bytes a code path allocates, or that time a network handshake, run alone: no other test
/// runs beside them. The engine's spare buffers (GEMM workspaces, fork-join jobs) are shared by all threads, so a test
/// running beside one of these can take the spare it warmed up and make it allocate a fresh one; and a TLS handshake
/// on a crowded machine can finish in either order on the two sides.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationMeasurementCollection
{
    /// <summary>The collection's name, for <c>[Collection(AllocationMeasurementCollection.Name)]</c>.</summary>
    public const string Name = "runs alone: allocation counts and handshakes";
}
