using System.Numerics.Tensors;
using MtlEngine.LinearAlgebra;

namespace MtlEngine.MultiTask.Aggregation;

/// <summary>Small vector helpers shared by the aggregators of this folder.</summary>
internal static class WeightedRows
{
    /// <summary>Scales D and W by min(1, maxNorm/‖D‖), so that D = WᵀJ still holds.</summary>
    public static void ClipNorm(double[] direction, double[] weights, double maxNorm)
    {
        double norm = TensorPrimitives.Norm<double>(direction);
        if (!(norm > maxNorm)) return;
        double scale = maxNorm / norm;
        TensorPrimitives.Multiply(direction, scale, direction);
        TensorPrimitives.Multiply(weights, scale, weights);
    }

    /// <summary>The draw of the random task orders for one step of PCGrad or GradVac: for each task i in turn, the
    /// other T − 1 tasks (in increasing order) reordered by <see cref="Tensors.Random.TensorRandom.Permutation(int)"/>.</summary>
    public static int[][] TaskOrders(Tensors.Random.TensorRandom random, int tasks)
    {
        var orders = new int[tasks][];
        for (int i = 0; i < tasks; i++)
        {
            int[] permutation = random.Permutation(tasks - 1);
            orders[i] = new int[tasks - 1];
            for (int k = 0; k < tasks - 1; k++) orders[i][k] = permutation[k] < i ? permutation[k] : permutation[k] + 1;
        }
        return orders;
    }

    /// <summary>Checks that <paramref name="orders"/> gives, for each task, the other tasks each once.</summary>
    /// <exception cref="ArgumentException">When it does not.</exception>
    public static void CheckOrders(IReadOnlyList<int[]> orders, int tasks)
    {
        if (orders.Count != tasks)
            throw new ArgumentException($"There are {orders.Count} task orders for {tasks} tasks; give one order of the other tasks per task.", nameof(orders));
        for (int i = 0; i < tasks; i++)
        {
            var sorted = orders[i].Order().ToArray();
            var expected = Enumerable.Range(0, tasks).Where(j => j != i).ToArray();
            if (!sorted.SequenceEqual(expected))
                throw new ArgumentException($"The order for task {i} is [{string.Join(", ", orders[i])}]; it must list each other task (0..{tasks - 1} except {i}) once.", nameof(orders));
        }
    }
}
