namespace MtlEngine.Cli;

/// <summary>A mistake in how <c>mtl</c> was called (an unknown extension, a missing <c>--name</c>, ...): exit code 2.</summary>
internal class UsageException(string message) : Exception(message);
