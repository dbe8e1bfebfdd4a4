using System.Numerics;
using MtlEngine.Nn;

namespace MtlEngine.MultiTask.Weighting;

/// <summary>
/// Dynamic weight average, DWA (Liu, Johns &amp; Davison 2019, "End-to-End Multi-Task Learning with Attention"): the
/// weights follow the rate at which each task's training loss falls,
/// <code>wₜ(e) = T · exp(rₜ(e−1)/τ) / Σᵢ exp(rᵢ(e−1)/τ),   rₜ(e−1) = Lₜ(e−1) / Lₜ(e−2)</code>
/// with Lₜ(e) task t's mean training loss over epoch e and the temperature τ = 2; wₜ = 1 for the first two epochs.
/// A task whose loss falls slower gets more weight. The loss history is read from each <see cref="EpochReport"/>.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed class DynamicWeightAverage<T> : MultiTaskStrategy<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<double[]> _history = [];
    private double[] _weights;

    /// <summary>Creates the strategy for <paramref name="tasks"/>.</summary>
    /// <param name="tasks">The model's tasks, in order.</param>
    /// <param name="temperature">τ (&gt; 0; the paper's 2): larger values flatten the weights toward 1.</param>
    /// <param name="recordConflict">Also compute the gradient-conflict matrix each step (T extra backward passes).</param>
    /// <exception cref="ArgumentOutOfRangeException">When the temperature is not positive and finite.</exception>
    public DynamicWeightAverage(IReadOnlyList<TaskSpec> tasks, double temperature = 2, bool recordConflict = false) : base(tasks, recordConflict)
    {
        Strategies.CheckRate(temperature, nameof(temperature));
        Temperature = temperature;
        _weights = Enumerable.Repeat(1.0, TaskCount).ToArray();
    }

    /// <inheritdoc />
    public override string Name => "dwa";

    /// <summary>τ.</summary>
    public double Temperature { get; }

    /// <summary>The weights the next steps use.</summary>
    public IReadOnlyList<double> CurrentWeights => _weights;

    /// <summary>The DWA weights from the mean task losses of the two previous epochs (a task whose loss was 0 gets ratio 1).</summary>
    public static double[] Weights(ReadOnlySpan<double> previous, ReadOnlySpan<double> beforePrevious, double temperature)
    {
        var scaled = new double[previous.Length];
        for (int t = 0; t < scaled.Length; t++)
            scaled[t] = (beforePrevious[t] > 0 ? previous[t] / beforePrevious[t] : 1) / temperature;
        var weights = Strategies.Softmax(scaled);
        for (int t = 0; t < weights.Length; t++) weights[t] *= weights.Length;
        return weights;
    }

    /// <inheritdoc />
    protected override void BackwardCore(TrainingStep<T> step) => BackwardWeighted(step, _weights);

    /// <inheritdoc />
    protected override void OnEpochEndCore(EpochReport report)
    {
        var losses = report.TaskTrainLosses ?? throw new ArgumentException("DWA needs each task's training loss in the epoch report.", nameof(report));
        _history.Add(TaskNames.Select(n => losses[n]).ToArray());
        if (_history.Count >= 2) _weights = Weights(_history[^1], _history[^2], Temperature);
    }

    /// <inheritdoc />
    protected override void SaveState(StrategyState state)
    {
        state.Put("weights", _weights);
        state.Put("history", _history.SelectMany(h => h).ToArray()); // epochs × T, row-major
    }

    /// <inheritdoc />
    protected override void LoadState(StrategyState state)
    {
        var weights = state.Get("weights", TaskCount);
        var history = state.Optional("history") ?? [];
        if (history.Length % TaskCount != 0)
            throw new ArgumentException($"The strategy state's entry \"history\" holds {history.Length} values, not a multiple of the {TaskCount} tasks.");
        _weights = (double[])weights.Clone();
        _history.Clear();
        for (int e = 0; e < history.Length; e += TaskCount) _history.Add(history.AsSpan(e, TaskCount).ToArray());
    }
}
