namespace MtlEngine.Nn;

/// <summary>A learning rate as a function of the step (0-based); set <c>optimizer.LearningRate = schedule.RateAt(step)</c> before each step.</summary>
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
