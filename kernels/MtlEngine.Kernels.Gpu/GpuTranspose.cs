using ILGPU;
using ILGPU.Runtime;

namespace MtlEngine.Kernels.Gpu;

/// <summary>
/// d = xᵀ for a row-major rows×columns matrix x, through a <see cref="Tile"/>×<see cref="Tile"/> tile in shared
/// memory: a group reads a tile along x's rows and writes it along d's rows, so both the loads and the stores
/// walk consecutive addresses. The tile row is padded by one element so that a column of the tile does not
/// fall into one shared-memory bank.
/// </summary>
public static class GpuTranspose
{
    /// <summary>The tile edge (Tile² threads per group).</summary>
    public const int Tile = 8;

    /// <summary>d (columns×rows) = xᵀ (x rows×columns), both row-major.</summary>
    /// <exception cref="ArgumentException">When the views do not hold rows×columns elements.</exception>
    public static void Transpose<T>(GpuContext gpu, ArrayView<T> x, int rows, int columns, ArrayView<T> d) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(gpu);
        if (rows < 0 || columns < 0 || x.Length != (long)rows * columns || d.Length != x.Length)
            throw new ArgumentException($"Transposing a {rows}×{columns} matrix needs views of {(long)rows * columns} elements; got {x.Length} and {d.Length}.");
        if (x.Length == 0) return;
        var kernel = gpu.Kernel<Action<KernelConfig, ArrayView<T>, int, int, ArrayView<T>>>(
            (Action<ArrayView<T>, int, int, ArrayView<T>>)TileKernel<T>,
            a => a.LoadStreamKernel<ArrayView<T>, int, int, ArrayView<T>>(TileKernel<T>));
        var grid = new Index2D((columns + Tile - 1) / Tile, (rows + Tile - 1) / Tile);
        kernel(new KernelConfig(grid, new Index2D(Tile, Tile)), x, rows, columns, d);
    }

    internal static void TileKernel<T>(ArrayView<T> x, int rows, int columns, ArrayView<T> d) where T : unmanaged
    {
        var tile = SharedMemory.Allocate<T>(Tile * (Tile + 1));
        int tx = Group.IdxX, ty = Group.IdxY;
        int i = Grid.IdxY * Tile + ty, j = Grid.IdxX * Tile + tx;
        if (i < rows && j < columns) tile[ty * (Tile + 1) + tx] = x[(long)i * columns + j];
        Group.Barrier();
        // Write row (Grid.IdxX·Tile + ty) of d: element (column j', row i') with the threads swapped.
        int outRow = Grid.IdxX * Tile + ty, outColumn = Grid.IdxY * Tile + tx;
        if (outRow < columns && outColumn < rows) d[(long)outRow * rows + outColumn] = tile[tx * (Tile + 1) + ty];
    }
}
