namespace MtlEngine.MultiTask.Aggregation;

/// <summary>
/// The aggregation method has no answer for this Jacobian: the problem its paper solves has no solution there (for
/// Nash-MTL and FairGrad: a task gradient is zero, or a non-negative combination of the task gradients is zero, so
/// the weights would have to be infinite). The message names the method, the reason and what to do.
/// </summary>
public sealed class UndefinedAggregationException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="method">The method's name (<c>nash-mtl</c>, <c>fairgrad</c>, ...).</param>
    /// <param name="message">What was wrong with the Jacobian and how to fix the call.</param>
    public UndefinedAggregationException(string method, string message) : base(message, "jacobian") => Method = method;

    /// <summary>The method's name.</summary>
    public string Method { get; }
}
