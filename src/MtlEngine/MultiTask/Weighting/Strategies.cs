namespace MtlEngine.MultiTask.Weighting;

/// <summary>Checks shared by the strategies' constructors.</summary>
internal static class Strategies
{
    public static void CheckRate(double value, string name)
    {
        if (!(value > 0 && double.IsFinite(value)))
            throw new ArgumentOutOfRangeException(name, value, $"The {name} must be positive and finite.");
    }

    /// <summary>softmax(x)ᵢ = e^{xᵢ − max x} / Σⱼ e^{xⱼ − max x}.</summary>
    public static double[] Softmax(ReadOnlySpan<double> x)
    {
        double max = double.NegativeInfinity;
        foreach (double v in x) max = Math.Max(max, v);
        var result = new double[x.Length];
        double sum = 0;
        for (int i = 0; i < x.Length; i++) sum += result[i] = Math.Exp(x[i] - max);
        for (int i = 0; i < x.Length; i++) result[i] /= sum;
        return result;
    }
}
