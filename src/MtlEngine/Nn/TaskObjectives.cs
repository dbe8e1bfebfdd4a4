using System.Numerics;
using MtlEngine.Autograd;
using MtlEngine.Tensors;

namespace MtlEngine.Nn;

/// <summary>
/// The loss and the metric of each kind of task: cross-entropy and accuracy for classification (negative label =
/// missing), binary cross-entropy on logits and accuracy at 0.5 for binary outputs, mean squared error and RMSE for
/// regression (a 0 in the mask = missing). A task with no label in the batch has loss 0 (still in the graph).
/// </summary>
public static class TaskObjectives
{
    /// <summary>The task's loss of <paramref name="output"/> (shape (n, outputs)) against <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException">When the targets do not fit the task's kind or the output's shape.</exception>
    public static MtlTensor<T> Loss<T>(TaskSpec task, MtlTensor<T> output, BatchTarget<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        if (task.Kind == TaskKind.Classification)
            return Losses.CrossEntropy(output, target.Labels
                ?? throw new ArgumentException($"Task \"{task.Name}\" is a classification task and needs class labels, not values."),
                task.ClassWeights is null ? default : task.ClassWeights.Select(T.CreateChecked).ToArray());
        if (target.Values is null)
            throw new ArgumentException($"Task \"{task.Name}\" is a {task.Kind.ToString().ToLowerInvariant()} task and needs values, not class labels.");
        var values = target.Values.To(output.Device); // on a device: the targets uploaded
        var mask = target.Mask!.To(output.Device);
        return task.Kind == TaskKind.Binary
            ? Losses.BinaryCrossEntropyWithLogits(output, values, mask: mask)
            : Losses.MeanSquaredError(output, values, mask: mask);
    }

    /// <summary>The task's metric name: <c>accuracy</c> for classification and binary tasks, <c>rmse</c> for regression.</summary>
    public static string MetricName(TaskKind kind) => kind == TaskKind.Regression ? "rmse" : "accuracy";

    /// <summary>
    /// The task's metric of <paramref name="output"/> against <paramref name="target"/> over the labelled samples
    /// (NaN when none is labelled).
    /// </summary>
    public static double Metric<T>(TaskSpec task, MtlTensor<T> output, BatchTarget<T> target) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        var host = output.Detach().To(Device.Cpu);
        if (task.Kind == TaskKind.Classification)
        {
            var predicted = host.ArgMax(1).ToArray(); // the first largest logit, as PyTorch's argmax
            int correct = 0, counted = 0;
            var labels = target.Labels!;
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] < 0) continue;
                counted++;
                if (predicted[i] == labels[i]) correct++;
            }
            return counted == 0 ? double.NaN : (double)correct / counted;
        }
        var z = host.Contiguous().ToArray();
        var y = target.Values!.Contiguous().ToArray();
        var m = target.Mask!.Contiguous().ToArray();
        int count = 0;
        double sum = 0;
        T half = T.CreateChecked(0.5);
        for (int i = 0; i < z.Length; i++)
        {
            if (m[i] == T.Zero) continue;
            count++;
            if (task.Kind == TaskKind.Binary) sum += (z[i] > T.Zero) == (y[i] > half) ? 1 : 0;
            else sum += Math.Pow(double.CreateChecked(z[i] - y[i]), 2);
        }
        if (count == 0) return double.NaN;
        return task.Kind == TaskKind.Binary ? sum / count : Math.Sqrt(sum / count);
    }
}
