namespace MtlEngine.Nn;

/// <summary>A learning rate as a function of the step (0-based); set <c>optimizer.LearningRate = schedule.RateAt(step)</c> before each step, or drive each parameter group with <see cref="LearningRateScheduler{T}"/>.</summary>
public interface ILearningRateSchedule
{
    /// <summary>The learning rate for step <paramref name="step"/>.</summary>
    double RateAt(int step);
}

/// <summary>η·γ^⌊step / stepSize⌋ (PyTorch's StepLR).</summary>
/// <param name="BaseRate">η.</param>
/// <param name="StepSize">Steps between decays.</param>
/// <param name="Gamma">The decay factor γ.</param>
public sealed record StepSchedule(double BaseRate, int StepSize, double Gamma = 0.1) : ILearningRateSchedule
{
    /// <inheritdoc />
    public double RateAt(int step) => BaseRate * Math.Pow(Gamma, step / Math.Max(1, StepSize));
}

/// <summary>Cosine annealing from η to η_min over <paramref name="TotalSteps"/>: η_min + ½(η − η_min)(1 + cos(π·step/T)) (PyTorch's CosineAnnealingLR), then η_min.</summary>
/// <param name="BaseRate">η.</param>
/// <param name="TotalSteps">T.</param>
/// <param name="MinRate">η_min.</param>
public sealed record CosineSchedule(double BaseRate, int TotalSteps, double MinRate = 0) : ILearningRateSchedule
{
    /// <inheritdoc />
    public double RateAt(int step) =>
        step >= TotalSteps ? MinRate : MinRate + 0.5 * (BaseRate - MinRate) * (1 + Math.Cos(Math.PI * step / TotalSteps));
}

/// <summary>Linear warm-up over the first <paramref name="WarmupSteps"/> steps (rate·(step + 1)/W), then <paramref name="After"/> (counted from the end of the warm-up).</summary>
/// <param name="After">The schedule after the warm-up.</param>
/// <param name="WarmupSteps">W.</param>
public sealed record WarmupSchedule(ILearningRateSchedule After, int WarmupSteps) : ILearningRateSchedule
{
    /// <inheritdoc />
    public double RateAt(int step) =>
        step < WarmupSteps ? After.RateAt(0) * (step + 1) / WarmupSteps : After.RateAt(step - WarmupSteps);
}

/// <summary>An arbitrary function of the step (PyTorch's LambdaLR with a lambda): <c>new LambdaSchedule(s => 0.95 ^ s)</c>.</summary>
/// <param name="Rate">The rate (or factor) at each step.</param>
public sealed record LambdaSchedule(Func<int, double> Rate) : ILearningRateSchedule
{
    /// <inheritdoc />
    public double RateAt(int step) => Rate(step);
}

/// <summary>
/// Drives the learning rate of every parameter group of an optimizer from schedules, as PyTorch's LR schedulers do.
/// Either one schedule per group gives each group's rate outright, or one schedule gives a factor by which each group's
/// <see cref="ParameterGroup{T}.InitialLearningRate"/> is scaled (PyTorch's LambdaLR; with a schedule of base rate 1, e.g.
/// <c>new CosineSchedule(1.0, T)</c> or <c>new StepSchedule(1.0, 30)</c>, it is CosineAnnealingLR or StepLR for every group at once).
/// Call <see cref="Apply"/> with the step index before each optimizer step; it keeps no state of its own, so a resumed run
/// applies <c>optimizer.StepCount</c> and continues.
/// </summary>
/// <typeparam name="T">The optimizer's element type.</typeparam>
public sealed class LearningRateScheduler<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    private readonly Optimizer<T> _optimizer;
    private readonly ILearningRateSchedule[] _schedules;
    private readonly bool _scaled;

    private LearningRateScheduler(Optimizer<T> optimizer, ILearningRateSchedule[] schedules, bool scaled)
    {
        _optimizer = optimizer;
        _schedules = schedules;
        _scaled = scaled;
    }

    /// <summary>Group g's rate at step s is <c>schedules[g].RateAt(s)</c>.</summary>
    /// <exception cref="ArgumentException">When the number of schedules differs from the number of groups.</exception>
    public static LearningRateScheduler<T> PerGroup(Optimizer<T> optimizer, params ILearningRateSchedule[] schedules)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(schedules);
        if (schedules.Length != optimizer.Groups.Count)
            throw new ArgumentException($"The optimizer has {optimizer.Groups.Count} parameter groups but {schedules.Length} schedules were given; pass one per group.", nameof(schedules));
        foreach (var schedule in schedules) ArgumentNullException.ThrowIfNull(schedule, nameof(schedules));
        return new(optimizer, (ILearningRateSchedule[])schedules.Clone(), scaled: false);
    }

    /// <summary>Group g's rate at step s is <c>initialLearningRate[g] · factor.RateAt(s)</c>.</summary>
    public static LearningRateScheduler<T> Scaled(Optimizer<T> optimizer, ILearningRateSchedule factor)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(factor);
        return new(optimizer, [factor], scaled: true);
    }

    /// <summary>Sets every group's learning rate for step <paramref name="step"/> (0-based).</summary>
    /// <exception cref="InvalidOperationException">When a schedule gives a negative or NaN rate.</exception>
    public void Apply(int step)
    {
        var groups = _optimizer.Groups;
        for (int g = 0; g < groups.Count; g++)
        {
            double rate = _scaled
                ? (groups[g].InitialLearningRate ?? groups[g].LearningRate ?? 0) * _schedules[0].RateAt(step)
                : _schedules[g].RateAt(step);
            if (!(rate >= 0))
                throw new InvalidOperationException($"The schedule gave learning rate {rate} for group {g} at step {step}; a learning rate must be ≥ 0.");
            groups[g].LearningRate = rate;
        }
    }
}
