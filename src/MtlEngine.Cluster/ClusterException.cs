namespace MtlEngine.Cluster;

/// <summary>
/// A cluster fit or silo that cannot go on: the cluster cannot be reached, a peer was refused, a shard file is missing or
/// corrupt, every silo failed, or a call ran past its timeout. The message is one line that names what failed and how to
/// fix it.
/// </summary>
public sealed class ClusterException : Exception
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public ClusterException(string message) : base(message) { }

    /// <summary>Creates the exception with its one-line message and the failure behind it.</summary>
    public ClusterException(string message, Exception inner) : base(message, inner) { }
}
