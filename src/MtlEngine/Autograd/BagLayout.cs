namespace MtlEngine.Autograd;

/// <summary>
/// What <see cref="GradientRules.EmbeddingBag{T}"/> needs from the forward pass of an embedding bag: the flat indices,
/// each bag's first position in them, and each index's scale (1, or 1/bag size for the mean).
/// </summary>
internal sealed record BagLayout<T>(int[] Indices, int[] Offsets, T[] Scales);
