using MtlEngine.Nn;

namespace MtlEngine.Plots;

/// <summary>One task's curves over a training run, one value per epoch (epoch 1 first); NaN where an epoch has no value.</summary>
/// <param name="Task">The task's name.</param>
/// <param name="TrainLoss">The task's mean training loss per epoch.</param>
/// <param name="ValidationLoss">The task's validation loss per epoch.</param>
/// <param name="MetricName">The validation metric's name (accuracy, rmse, ...).</param>
/// <param name="ValidationMetric">The validation metric per epoch.</param>
public sealed record TaskHistory(string Task, IReadOnlyList<double> TrainLoss, IReadOnlyList<double> ValidationLoss, string MetricName,
    IReadOnlyList<double> ValidationMetric)
{
    /// <summary>Each task's curves from the <see cref="Trainer{T}"/>'s epoch reports (<see cref="TrainingResult.History"/>).</summary>
    /// <param name="history">The epoch reports, in order.</param>
    /// <param name="tasks">The tasks, in the order to plot them.</param>
    public static IReadOnlyList<TaskHistory> FromReports(IReadOnlyList<EpochReport> history, IReadOnlyList<TaskSpec> tasks)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(tasks);
        return tasks.Select(t => new TaskHistory(t.Name,
            history.Select(h => h.TaskTrainLosses?.GetValueOrDefault(t.Name, double.NaN) ?? double.NaN).ToArray(),
            history.Select(h => h.TaskValidationLosses?.GetValueOrDefault(t.Name, double.NaN) ?? double.NaN).ToArray(),
            TaskObjectives.MetricName(t.Kind),
            history.Select(h => h.Validation.FirstOrDefault(m => m.Task == t.Name)?.Value ?? double.NaN).ToArray())).ToList();
    }
}

/// <summary>The tasks' loss weights in one epoch (as a weighting method set them).</summary>
/// <param name="Epoch">The epoch (1-based).</param>
/// <param name="Weights">Each task's weight.</param>
public sealed record EpochWeights(int Epoch, IReadOnlyDictionary<string, double> Weights);

/// <summary>
/// The pairwise cosine similarities of the tasks' gradients on the shared parameters, cos(gᵢ, gⱼ) in [−1, 1]: negative
/// entries are conflicting tasks.
/// </summary>
/// <param name="Epoch">The epoch they were measured in (1-based).</param>
/// <param name="Tasks">The T task names, in the matrix's order.</param>
/// <param name="Cosine">The T×T matrix.</param>
public sealed record ConflictMatrix(int Epoch, IReadOnlyList<string> Tasks, double[,] Cosine);

/// <summary>One point of a robustness curve: the metric when a share of a modality's samples is missing.</summary>
/// <param name="Missing">The share missing, in [0, 1].</param>
/// <param name="Metric">The metric at that share.</param>
public sealed record RobustnessPoint(double Missing, double Metric);
